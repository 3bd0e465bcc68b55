// The bucket and GCRA scripts as they were before their state gained its third double (the TTL's
// expiry): two doubles, a new TTL on every write. Kept verbatim so the tests can write state
// with them and check that the current scripts read it on.
import type { AlgorithmSpec } from '../src/types.js';

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
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  pad = 0
end
`;

const TOKEN_BUCKET = `${PRELUDE}
local C = $1
local r = $2
local full = C * 1000
local milli, last = full, 0
local s = redis.call('GET', KEYS[1])
if s then
  milli, last = struct.unpack('<dd', s)
end
local t = math.max(now, last)
milli = math.min(full, milli + (t - last) * r)
local allowed = milli >= cost * 1000
if allowed and want > cost then cost = math.min(want, math.floor(milli / 1000)) end
local need = cost * 1000
local after = milli
if allowed then after = milli - need end
local remaining = math.max(0, math.floor(after / 1000))
local resetMs = 0
if remaining < C then resetMs = math.ceil(((remaining + 1) * 1000 - after) / r) end
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((need - milli) / r) end
local taken = 0
if allowed and write then
  -- one ms past the time to full: by then the refill surely reaches full despite rounding
  redis.call('SET', KEYS[1], struct.pack('<dd', after, t), 'PX', math.ceil((full - after) / r) + 1 + pad)
  taken = cost
end
local reply = { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
if lease then reply[5] = taken end
return reply
`;

const LEAKY_BUCKET = `${PRELUDE}
local C = $1
local r = $2
local full = C * 1000
local milli, last = 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  milli, last = struct.unpack('<dd', s)
end
local t = math.max(now, last)
milli = math.max(0, milli - (t - last) * r)
local allowed = milli + cost * 1000 <= full
if allowed and want > cost then cost = math.min(want, math.floor((full - milli) / 1000)) end
local need = cost * 1000
local after = milli
if allowed then after = milli + need end
local remaining = math.max(0, math.floor((full - after) / 1000))
local resetMs = 0
if remaining < C then resetMs = math.ceil((after + (remaining + 1) * 1000 - full) / r) end
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((milli + need - full) / r) end
local taken = 0
if allowed and write then
  -- one ms past the time to empty: by then the leak surely reaches 0 despite rounding
  redis.call('SET', KEYS[1], struct.pack('<dd', after, t), 'PX', math.ceil(after / r) + 1 + pad)
  taken = cost
end
local reply = { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
if lease then reply[5] = taken end
return reply
`;

const GCRA = `${PRELUDE}
local L = $1
local P = $2
local B = $3
local tatMs, tatFrac = 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  tatMs, tatFrac = struct.unpack('<dd', s)
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
local resetMs = 0
if remaining < B + 1 then resetMs = math.ceil((afterLead - cap + (remaining + 1) * P) / L) end
local retryAfterMs = 0
if not allowed then retryAfterMs = math.ceil((lead - cap) / L) end
local taken = 0
if allowed and write then
  -- until the TAT is past: the key then decides like a fresh one
  local idleMs = afterMs - now
  if afterFrac > 0 then idleMs = idleMs + 1 end
  redis.call('SET', KEYS[1], struct.pack('<dd', afterMs, afterFrac), 'PX', idleMs + pad)
  taken = cost
end
local reply = { allowed and 1 or 0, remaining, resetMs, retryAfterMs }
if lease then reply[5] = taken end
return reply
`;

/** The previous script of a bucket or GCRA spec, its parameters written in as `scriptFor` does. */
export function previousScript(spec: AlgorithmSpec): string {
  switch (spec.kind) {
    case 'token-bucket':
      return fill(TOKEN_BUCKET, [spec.capacity, spec.refillPerSecond]);
    case 'leaky-bucket':
      return fill(LEAKY_BUCKET, [spec.capacity, spec.leakPerSecond]);
    case 'gcra':
      return fill(GCRA, [spec.limit, spec.periodMs, spec.burst]);
    default:
      throw new TypeError(`no previous script for ${spec.kind}`);
  }
}

function fill(template: string, values: number[]): string {
  return template.replace(/\$([123])/g, (_, i: string) => String(values[Number(i) - 1]));
}
