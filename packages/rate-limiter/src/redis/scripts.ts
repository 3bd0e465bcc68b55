import type { AlgorithmSpec } from '../types.js';
import { ScriptRunner } from './runner.js';

// Every script mirrors one file of src/algorithms operation for operation (its header comment is
// the specification; the variable names here are its names) and runs in one round trip.
//
// KEYS[1]: the key's state, `<prefix>{<key>}`. ARGV:
//   1 now    integer ms, or '' to read the server's own TIME (the normal case)
//   2 cost   units asked for (a peek asks for 1)
//   3 want   lease mode: when admitted, take min(want, units available) instead of cost
//   4 write  '1' to consume, '0' to peek (nothing is written)
//   5...     the algorithm's parameters
// Reply: { allowed 0/1, remaining, resetMs, retryAfterMs, units taken }, integers only (Redis
// truncates Lua numbers to integers in replies, so every value is rounded by the script first).
//
// State is a string of space-separated numbers (one GET, one SET with PX), written with '%.17g',
// which reads back as the very same double: Lua's tostring keeps only 14 digits and would make
// Redis drift from the memory store. Every write sets the TTL to the time until the state decides
// like a fresh key (the algorithm's isIdle), so idle keys vanish. With a client-supplied `now`
// (tests), script time is not the server's time, so TTLs get an hour added to outlive the test.
// Modulo is math.fmod, exact like JS's %, where Lua's own % computes a - floor(a/b)*b.

const PRELUDE = `
local now = tonumber(ARGV[1])
local pad = 3600000
if now == nil then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  pad = 0
end
local cost = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local write = ARGV[4] == '1'
local function num(x) return string.format('%.17g', x) end
`;

/** Token bucket (src/algorithms/token-bucket.ts). ARGV[5] C, ARGV[6] r. State: "milli last". */
export const TOKEN_BUCKET = `${PRELUDE}
local C = tonumber(ARGV[5])
local r = tonumber(ARGV[6])
local full = C * 1000
local milli, last = full, 0
local s = redis.call('GET', KEYS[1])
if s then
  local a, b = string.match(s, '^(%S+) (%S+)$')
  milli, last = tonumber(a), tonumber(b)
end
local t = math.max(now, last)
milli = math.min(full, milli + (t - last) * r)
local allowed = milli >= cost * 1000
if allowed and want > cost then cost = math.min(want, math.floor(milli / 1000)) end
local need = cost * 1000
local after = milli
if allowed then after = milli - need end
local remaining = math.max(0, math.floor(after / 1000))
local resetMs = math.ceil((full - after) / r)
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((need - milli) / r) end
local taken = 0
if allowed and write then
  -- one ms past resetMs: by then the refill surely reaches full despite rounding
  redis.call('SET', KEYS[1], num(after) .. ' ' .. num(t), 'PX', resetMs + 1 + pad)
  taken = cost
end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken }
`;

/** Leaky bucket, meter (src/algorithms/leaky-bucket.ts). ARGV[5] C, ARGV[6] r. State: "milli last". */
export const LEAKY_BUCKET = `${PRELUDE}
local C = tonumber(ARGV[5])
local r = tonumber(ARGV[6])
local full = C * 1000
local milli, last = 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  local a, b = string.match(s, '^(%S+) (%S+)$')
  milli, last = tonumber(a), tonumber(b)
end
local t = math.max(now, last)
milli = math.max(0, milli - (t - last) * r)
local allowed = milli + cost * 1000 <= full
if allowed and want > cost then cost = math.min(want, math.floor((full - milli) / 1000)) end
local need = cost * 1000
local after = milli
if allowed then after = milli + need end
local remaining = math.max(0, math.floor((full - after) / 1000))
local resetMs = math.ceil(after / r)
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((milli + need - full) / r) end
local taken = 0
if allowed and write then
  -- one ms past resetMs: by then the leak surely reaches 0 despite rounding
  redis.call('SET', KEYS[1], num(after) .. ' ' .. num(t), 'PX', resetMs + 1 + pad)
  taken = cost
end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken }
`;

/** Fixed window (src/algorithms/fixed-window.ts). ARGV[5] L, ARGV[6] W. State: "start count". */
export const FIXED_WINDOW = `${PRELUDE}
local L = tonumber(ARGV[5])
local W = tonumber(ARGV[6])
local start, count = 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  local a, b = string.match(s, '^(%S+) (%S+)$')
  start, count = tonumber(a), tonumber(b)
end
local t = now
if start > now then t = start end
local ws = t - math.fmod(t, W)
if ws ~= start then count = 0 end
local allowed = count + cost <= L
if allowed and want > cost then cost = math.min(want, L - count) end
local after = count
if allowed then after = count + cost end
local resetMs = 0
if after ~= 0 then resetMs = ws + W - t end
local retryAfterMs = 0
if not allowed then retryAfterMs = ws + W - t end
local taken = 0
if allowed and write then
  redis.call('SET', KEYS[1], num(ws) .. ' ' .. num(after), 'PX', ws + W - t + pad)
  taken = cost
end
return { allowed and 1 or 0, L - after, resetMs, retryAfterMs, taken }
`;

/**
 * Sliding window log (src/algorithms/sliding-window-log.ts). ARGV[5] L, ARGV[6] W. A sorted
 * set: one member per admitted unit, scored by its time, named `<time>:<n>` (n counts the units
 * admitted at that ms), so the log's entries (time, units) are the members grouped by score.
 */
export const SLIDING_WINDOW_LOG = `${PRELUDE}
local L = tonumber(ARGV[5])
local W = tonumber(ARGV[6])
local key = KEYS[1]
local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local newestBefore = now
if top[2] then newestBefore = tonumber(top[2]) end
local t = now
if newestBefore > now then t = newestBefore end
redis.call('ZREMRANGEBYSCORE', key, '-inf', num(t - W))
local count = redis.call('ZCARD', key)
local allowed = count + cost <= L
if allowed and want > cost then cost = math.min(want, L - count) end
local after = count
if allowed then after = count + cost end
local retryAfterMs = 0
if not allowed then
  local need = count + cost - L
  local e = redis.call('ZRANGE', key, need - 1, need - 1, 'WITHSCORES')
  retryAfterMs = tonumber(e[2]) + W - t
end
local newest = t
if not allowed and count > 0 then newest = newestBefore end
local resetMs = 0
if after ~= 0 then resetMs = newest + W - t end
local taken = 0
if allowed and write then
  local stamp = num(t)
  local n = redis.call('ZCOUNT', key, stamp, stamp)
  local args = {}
  for i = 1, cost do
    args[#args + 1] = stamp
    args[#args + 1] = stamp .. ':' .. (n + i)
    if #args >= 1000 or i == cost then
      redis.call('ZADD', key, unpack(args))
      args = {}
    end
  end
  redis.call('PEXPIRE', key, W + pad)
  taken = cost
end
return { allowed and 1 or 0, L - after, resetMs, retryAfterMs, taken }
`;

/**
 * Sliding window counter (src/algorithms/sliding-window-counter.ts). ARGV[5] L, ARGV[6] W.
 * State: "start prev curr".
 */
export const SLIDING_WINDOW_COUNTER = `${PRELUDE}
local L = tonumber(ARGV[5])
local W = tonumber(ARGV[6])
local start, sprev, scurr = 0, 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  local a, b, c = string.match(s, '^(%S+) (%S+) (%S+)$')
  start, sprev, scurr = tonumber(a), tonumber(b), tonumber(c)
end
local t = now
if start > now then t = start end
local ws = t - math.fmod(t, W)
local prev, curr = 0, 0
if ws == start then
  prev, curr = sprev, scurr
elseif ws == start + W then
  prev = scurr
end
local e = t - ws
local used = prev * (W - e) + curr * W
local allowed = used + cost * W <= L * W
if allowed and want > cost then cost = math.min(want, math.floor((L * W - used) / W)) end
local after = curr
if allowed then after = curr + cost end
local usedAfter = prev * (W - e) + after * W
local remaining = math.floor((L * W - usedAfter) / W)
if remaining < 0 then remaining = 0 end
local retryAfterMs = 0
if not allowed then
  if curr + cost <= L then
    retryAfterMs = W - e - math.floor(((L - curr - cost) * W) / prev)
  else
    retryAfterMs = W - e + W - math.floor(((L - cost) * W) / curr)
  end
end
local resetMs = 0
if after > 0 then resetMs = W - e + W elseif prev > 0 then resetMs = W - e end
local taken = 0
if allowed and write then
  redis.call('SET', KEYS[1], num(ws) .. ' ' .. num(prev) .. ' ' .. num(after), 'PX', resetMs + pad)
  taken = cost
end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken }
`;

/**
 * GCRA (src/algorithms/gcra.ts). ARGV[5] L (limit), ARGV[6] P (periodMs), ARGV[7] B (burst).
 * State: "tatMs tatFrac" (the TAT is tatMs + tatFrac / L).
 */
export const GCRA = `${PRELUDE}
local L = tonumber(ARGV[5])
local P = tonumber(ARGV[6])
local B = tonumber(ARGV[7])
local tatMs, tatFrac = 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  local a, b = string.match(s, '^(%S+) (%S+)$')
  tatMs, tatFrac = tonumber(a), tonumber(b)
end
local cap = (B + 1) * P
if tatMs < now then
  tatMs, tatFrac = now, 0
end
local num1 = tatFrac + cost * P
local q = math.floor(num1 / L)
local newMs = tatMs + q
local newFrac = num1 - q * L
local lead = (newMs - now) * L + newFrac
local allowed = lead <= cap
if allowed and want > cost then
  cost = math.min(want, math.floor((cap - ((tatMs - now) * L + tatFrac)) / P))
  num1 = tatFrac + cost * P
  q = math.floor(num1 / L)
  newMs = tatMs + q
  newFrac = num1 - q * L
  lead = (newMs - now) * L + newFrac
end
local afterMs, afterFrac, afterLead = tatMs, tatFrac, (tatMs - now) * L + tatFrac
if allowed then afterMs, afterFrac, afterLead = newMs, newFrac, lead end
local remaining = math.floor((cap - afterLead) / P)
if remaining < 0 then remaining = 0 end
local resetMs = afterMs - now
if afterFrac > 0 then resetMs = resetMs + 1 end
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((lead - cap) / L) end
local taken = 0
if allowed and write then
  redis.call('SET', KEYS[1], num(afterMs) .. ' ' .. num(afterFrac), 'PX', resetMs + pad)
  taken = cost
end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken }
`;

/** How the Redis limiter runs one algorithm. */
export interface AlgorithmScript {
  readonly runner: ScriptRunner;
  /** ARGV[5...]: the algorithm's parameters, as strings that read back as the same doubles. */
  params(spec: AlgorithmSpec): string[];
}

const scripts: Record<AlgorithmSpec['kind'], AlgorithmScript> = {
  'token-bucket': {
    runner: new ScriptRunner(TOKEN_BUCKET),
    params: (s) =>
      s.kind === 'token-bucket' ? [String(s.capacity), String(s.refillPerSecond)] : never(s),
  },
  'leaky-bucket': {
    runner: new ScriptRunner(LEAKY_BUCKET),
    params: (s) =>
      s.kind === 'leaky-bucket' ? [String(s.capacity), String(s.leakPerSecond)] : never(s),
  },
  'fixed-window': { runner: new ScriptRunner(FIXED_WINDOW), params: windowParams },
  'sliding-window-log': { runner: new ScriptRunner(SLIDING_WINDOW_LOG), params: windowParams },
  'sliding-window-counter': {
    runner: new ScriptRunner(SLIDING_WINDOW_COUNTER),
    params: windowParams,
  },
  gcra: {
    runner: new ScriptRunner(GCRA),
    params: (s) =>
      s.kind === 'gcra' ? [String(s.limit), String(s.periodMs), String(s.burst)] : never(s),
  },
};

function windowParams(s: AlgorithmSpec): string[] {
  return s.kind === 'fixed-window' ||
    s.kind === 'sliding-window-log' ||
    s.kind === 'sliding-window-counter'
    ? [String(s.limit), String(s.windowMs)]
    : never(s);
}

function never(spec: AlgorithmSpec): never {
  throw new TypeError(`spec does not match its script: ${spec.kind}`);
}

/** The script of one algorithm spec; a TypeError for anything else. */
export function scriptFor(spec: AlgorithmSpec): AlgorithmScript {
  const kind = (spec as { kind?: unknown } | null)?.kind;
  const script =
    typeof kind === 'string' && Object.hasOwn(scripts, kind)
      ? scripts[kind as AlgorithmSpec['kind']]
      : undefined;
  if (script === undefined)
    throw new TypeError(
      `spec must be an algorithm spec (tokenBucket(...), gcra(...), ...), got ${String(kind)}`,
    );
  return script;
}
