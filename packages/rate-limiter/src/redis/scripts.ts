import { RedisScript } from '@bulwark/kernel';
import type { AlgorithmSpec } from '../types.js';
import { RETURN_PACKED } from './packed.js';

// Every script mirrors one file of src/algorithms operation for operation (its header comment is
// the specification; the variable names here are its names) and runs in one round trip.
//
// KEYS[1]: the key's state, `<prefix>{<key>}`. ARGV:
//   1 cost   units asked for; 0 for a peek (decides for 1 unit, writes nothing)
//   2 want   lease mode only (absent: cost): when admitted, take min(want, units available)
//   3 now    integer ms, only with the test-only `clock` option; absent, the script reads the
//            server's own TIME (the normal case)
// A plain consume sends the key and its cost, nothing else.
// The algorithm's parameters ($1, $2, $3 below) are written into the source as number literals
// (JS's shortest round-trip form, which Lua reads back as the very same double), so a call sends
// only the key and two or three small arguments: one script per algorithm and parameters.
// Reply: { allowed 0/1, remaining, resetMs, retryAfterMs[, units taken, in lease mode] }, integers only (Redis
// truncates Lua numbers to integers in replies, so every value is rounded by the script first);
// an admission outside lease mode replies with one packed integer instead (./packed.ts).
//
// State is two or three little-endian doubles (struct.pack '<dd', '<ddd'; one GET, one SET),
// which read back bit for bit, with no decimal formatting or parsing on the way (and none of
// tostring's 14-digit rounding, which would make Redis drift from the memory store).
// Every write leaves the key a TTL of at least the time until the state decides like a fresh key
// (the algorithm's isIdle), so idle keys vanish. With a client-supplied `now` (tests), script
// time is not the server's time, so TTLs get an hour added to outlive the test.
//
// Inside Redis a script's cost is mostly its redis.call()s, and a SET with PX costs about twice
// one with KEEPTTL (the TTL is a number Redis formats, parses back and rewrites to PXAT for
// replication). A window's TTL is its window's: set by the window's first write, then kept.
// The buckets' and GCRA's idle time moves with every take, so they keep the TTL while it lasts
// (see WRITE_KEEPING_TTL). Arithmetic on the common path avoids math.* (a global lookup and a
// C call each): floor(x) is written x - x % 1, and ceil(x) the same plus 1 when x % 1 > 0, both
// exact for any finite double (Lua's x % 1 is x - floor(x), an exact fraction). Modulo by W is
// math.fmod, exact like JS's %, where Lua's own % computes a - floor(a/b)*b.

const PRELUDE = `
local cost = tonumber(ARGV[1])
local write = cost > 0
if not write then cost = 1 end
local want = tonumber(ARGV[2]) or cost
local lease = want > cost
local now = tonumber(ARGV[3])
local pad = 3600000
if now == nil then
  local clock = redis.call('TIME')
  local us = tonumber(clock[2])
  now = tonumber(clock[1]) * 1000 + (us - us % 1000) / 1000
  pad = 0
end
`;

// The buckets' and GCRA's state: two doubles of the algorithm, then `expires`, the server time
// (script ms) until which the key's TTL runs. A state written before `expires` was stored has
// two doubles only and reads as expires = 0, so its next write sets a TTL.
function readWithExpiry(a: string, b: string): string {
  return `local expires = 0
local s = redis.call('GET', KEYS[1])
if s then
  if #s == 16 then
    ${a}, ${b} = struct.unpack('<dd', s)
  else
    ${a}, ${b}, expires = struct.unpack('<ddd', s)
  end
end`;
}

// The write of a bucket or GCRA, given `idle`, the TTL the key needs (ms from now until it
// decides like a fresh key), and `longest`, the largest idle time the parameters allow. While
// the TTL already set covers `idle`, the write keeps it (KEEPTTL). Otherwise a fresh key gets
// exactly `idle`; a key still in Redis, being written again while its TTL runs, gets twice
// `idle` (at most `longest`), so a busy key sets a TTL now and then instead of every write. A
// key thus outlives its idle time by at most the TTL it needed at the write that set the TTL.
function writeKeepingTtl(a: string, b: string, longest: string): string {
  return `if s and now + idle <= expires then
    redis.call('SET', KEYS[1], struct.pack('<ddd', ${a}, ${b}, expires), 'KEEPTTL')
  else
    local ttl = idle
    if s then
      local longest = ${longest}
      ttl = idle * 2
      if ttl > longest then ttl = math.max(idle, longest) end
    end
    redis.call('SET', KEYS[1], struct.pack('<ddd', ${a}, ${b}, now + ttl), 'PX', ttl + pad)
  end`;
}

/**
 * Token bucket (src/algorithms/token-bucket.ts). Parameters $1 C, $2 r. State: "milli last
 * expires".
 */
export const TOKEN_BUCKET = `${PRELUDE}
local C = $1
local r = $2
local full = C * 1000
local milli, last = full, 0
${readWithExpiry('milli', 'last')}
local t = now
if last > now then t = last end
milli = milli + (t - last) * r
if milli > full then milli = full end
local allowed = milli >= cost * 1000
if allowed and want > cost then cost = math.min(want, math.floor(milli / 1000)) end
local need = cost * 1000
local after = milli
if allowed then after = milli - need end
local remaining = after / 1000
remaining = remaining - remaining % 1
if remaining < 0 then remaining = 0 end
local resetMs = 0
if remaining < C then
  resetMs = ((remaining + 1) * 1000 - after) / r
  local f = resetMs % 1
  if f > 0 then resetMs = resetMs - f + 1 end
end
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((need - milli) / r) end
local taken = 0
if allowed and write then
  -- one ms past the time to full: by then the refill surely reaches full despite rounding
  local idle = (full - after) / r
  local f = idle % 1
  if f > 0 then idle = idle - f + 1 end
  idle = idle + 1
  ${writeKeepingTtl('after', 't', 'math.ceil(full / r) + 1')}
  taken = cost
end
${RETURN_PACKED}
if lease then return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken } end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
`;

/**
 * Leaky bucket, meter (src/algorithms/leaky-bucket.ts). Parameters $1 C, $2 r. State: "milli
 * last expires".
 */
export const LEAKY_BUCKET = `${PRELUDE}
local C = $1
local r = $2
local full = C * 1000
local milli, last = 0, 0
${readWithExpiry('milli', 'last')}
local t = now
if last > now then t = last end
milli = milli - (t - last) * r
if milli < 0 then milli = 0 end
local allowed = milli + cost * 1000 <= full
if allowed and want > cost then cost = math.min(want, math.floor((full - milli) / 1000)) end
local need = cost * 1000
local after = milli
if allowed then after = milli + need end
local remaining = (full - after) / 1000
remaining = remaining - remaining % 1
if remaining < 0 then remaining = 0 end
local resetMs = 0
if remaining < C then
  resetMs = (after + (remaining + 1) * 1000 - full) / r
  local f = resetMs % 1
  if f > 0 then resetMs = resetMs - f + 1 end
end
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((milli + need - full) / r) end
local taken = 0
if allowed and write then
  -- one ms past the time to empty: by then the leak surely reaches 0 despite rounding
  local idle = after / r
  local f = idle % 1
  if f > 0 then idle = idle - f + 1 end
  idle = idle + 1
  ${writeKeepingTtl('after', 't', 'math.ceil(full / r) + 1')}
  taken = cost
end
${RETURN_PACKED}
if lease then return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken } end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
`;

/**
 * Fixed window (src/algorithms/fixed-window.ts). Parameters $1 L, $2 W, $3 anchor (0 clock,
 * 1 first-hit). State: "start count".
 */
export const FIXED_WINDOW = `${PRELUDE}
local L = $1
local W = $2
local firstHit = $3 == 1
local start, count = 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  start, count = struct.unpack('<dd', s)
end
local t = now
if start > now then t = start end
local ws = start
if not firstHit then
  ws = t - math.fmod(t, W)
elseif count == 0 or t >= start + W then
  ws = t
end
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
  local state = struct.pack('<dd', ws, after)
  -- the same window expires at the same time: keep the TTL set by its first write
  if s and ws == start then
    redis.call('SET', KEYS[1], state, 'KEEPTTL')
  else
    redis.call('SET', KEYS[1], state, 'PX', ws + W - t + pad)
  end
  taken = cost
end
local remaining = L - after
${RETURN_PACKED}
if lease then return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken } end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
`;

/**
 * Sliding window log (src/algorithms/sliding-window-log.ts). Parameters $1 L, $2 W. A sorted
 * set: one member per admitted unit, scored by its time, named `<time>:<n>` (n counts the units
 * admitted at that ms), so the log's entries (time, units) are the members grouped by score.
 */
export const SLIDING_WINDOW_LOG = `${PRELUDE}
local L = $1
local W = $2
local key = KEYS[1]
local fmt = string.format
local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local newestBefore = now
if top[2] then newestBefore = tonumber(top[2]) end
local t = now
if newestBefore > now then t = newestBefore end
redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt('%.17g', t - W))
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
local resetMs = 0
if count > 0 then
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  resetMs = tonumber(first[2]) + W - t
elseif after ~= 0 then
  resetMs = W
end
local taken = 0
if allowed and write then
  local stamp = fmt('%.17g', t)
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
local remaining = L - after
${RETURN_PACKED}
if lease then return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken } end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
`;

/**
 * Sliding window counter (src/algorithms/sliding-window-counter.ts). Parameters $1 L, $2 W.
 * State: "start prev curr".
 */
export const SLIDING_WINDOW_COUNTER = `${PRELUDE}
local L = $1
local W = $2
local start, sprev, scurr = 0, 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  start, sprev, scurr = struct.unpack('<ddd', s)
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
-- wait(c, k), written out twice (a local function would be a new closure on every call)
local retryAfterMs = 0
if not allowed then
  if curr + cost <= L then
    retryAfterMs = W - e - math.floor(((L - curr - cost) * W) / prev)
  else
    retryAfterMs = W - e + W - math.floor(((L - cost) * W) / curr)
  end
end
local resetMs = 0
if remaining < L then
  if after + remaining + 1 <= L then
    resetMs = W - e - math.floor(((L - after - remaining - 1) * W) / prev)
  else
    resetMs = W - e + W - math.floor(((L - remaining - 1) * W) / after)
  end
end
local taken = 0
if allowed and write then
  local state = struct.pack('<ddd', ws, prev, after)
  -- within one window the TTL (until ws + 2W) is the one its first write set
  if s and ws == start then
    redis.call('SET', KEYS[1], state, 'KEEPTTL')
  else
    -- until the weighted count is 0: the end of the next window
    redis.call('SET', KEYS[1], state, 'PX', W - e + W + pad)
  end
  taken = cost
end
${RETURN_PACKED}
if lease then return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken } end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
`;

/**
 * GCRA (src/algorithms/gcra.ts). Parameters $1 L (limit), $2 P (periodMs), $3 B (burst).
 * State: "tatMs tatFrac expires" (the TAT is tatMs + tatFrac / L).
 */
export const GCRA = `${PRELUDE}
local L = $1
local P = $2
local B = $3
local tatMs, tatFrac = 0, 0
${readWithExpiry('tatMs', 'tatFrac')}
local cap = (B + 1) * P
if tatMs < now then
  tatMs, tatFrac = now, 0
end
local num1 = tatFrac + cost * P
local q = num1 / L
q = q - q % 1
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
local remaining = (cap - afterLead) / P
remaining = remaining - remaining % 1
if remaining < 0 then remaining = 0 end
local resetMs = 0
if remaining < B + 1 then
  resetMs = (afterLead - cap + (remaining + 1) * P) / L
  local f = resetMs % 1
  if f > 0 then resetMs = resetMs - f + 1 end
end
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((lead - cap) / L) end
local taken = 0
if allowed and write then
  -- until the TAT is past: the key then decides like a fresh one
  local idle = afterMs - now
  if afterFrac > 0 then idle = idle + 1 end
  ${writeKeepingTtl('afterMs', 'afterFrac', 'math.ceil(cap / L)')}
  taken = cost
end
${RETURN_PACKED}
if lease then return { allowed and 1 or 0, remaining, resetMs, retryAfterMs, taken } end
return { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
`;

const templates: Record<AlgorithmSpec['kind'], string> = {
  'token-bucket': TOKEN_BUCKET,
  'leaky-bucket': LEAKY_BUCKET,
  'fixed-window': FIXED_WINDOW,
  'sliding-window-log': SLIDING_WINDOW_LOG,
  'sliding-window-counter': SLIDING_WINDOW_COUNTER,
  gcra: GCRA,
};

function parameters(spec: AlgorithmSpec): number[] {
  switch (spec.kind) {
    case 'token-bucket':
      return [spec.capacity, spec.refillPerSecond];
    case 'leaky-bucket':
      return [spec.capacity, spec.leakPerSecond];
    case 'gcra':
      return [spec.limit, spec.periodMs, spec.burst];
    case 'fixed-window':
      return [spec.limit, spec.windowMs, spec.anchor === 'first-hit' ? 1 : 0];
    default:
      return [spec.limit, spec.windowMs];
  }
}

// Limiters with the same algorithm and parameters share one script (and its reload count).
const scripts = new Map<string, RedisScript>();

/**
 * The script of one algorithm spec, its parameters written in as literals; a TypeError for
 * anything that is not a spec.
 */
export function scriptFor(spec: AlgorithmSpec): RedisScript {
  const kind = (spec as { kind?: unknown } | null)?.kind;
  const template =
    typeof kind === 'string' && Object.hasOwn(templates, kind)
      ? templates[kind as AlgorithmSpec['kind']]
      : undefined;
  if (template === undefined)
    throw new TypeError(
      `spec must be an algorithm spec (tokenBucket(...), gcra(...), ...), got ${String(kind)}`,
    );
  const values = parameters(spec);
  for (const value of values)
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new TypeError(`spec must be built by one of the algorithm factories, got ${kind}`);
  const source = template.replace(/\$([123])/g, (_, i: string) => String(values[Number(i) - 1]));
  let script = scripts.get(source);
  if (script === undefined) {
    script = new RedisScript(source);
    scripts.set(source, script);
  }
  return script;
}
