import { RedisScript } from '@bulwark/kernel';

// The shared record of one breaker is a hash at `<prefix>{<name>}` (the hash tag keeps it in one
// Cluster slot): state ('open' | 'closed' | 'isolated'), until (server ms), opens (consecutive
// opens), ver (bumped on every write). Every script reads the server's own TIME, so instances
// never compare their clocks, and answers with the record as it stands after the script:
// { state | 'none', remaining open ms, opens, ver }.

const READ_RECORD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'state', 'until', 'opens', 'ver')
local state = h[1] or 'none'
local untilMs = tonumber(h[2]) or 0
local opens = tonumber(h[3]) or 0
local ver = tonumber(h[4]) or 0
local function reply()
  local remaining = 0
  if state == 'open' and untilMs > now then remaining = untilMs - now end
  return { state, remaining, opens, ver }
end
local function write(ttl)
  ver = ver + 1
  redis.call('HSET', KEYS[1], 'state', state, 'until', untilMs, 'opens', opens, 'ver', ver)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
`;

/** Read the record. */
export const READ = new RedisScript(`${READ_RECORD}
return reply()`);

/**
 * Open (ARGV: openMs, multiplier, maxOpenMs, forced, keepMs). Unless forced, an open that is
 * still running or an isolation wins: the caller adopts it instead of starting another.
 */
export const TRIP = new RedisScript(`${READ_RECORD}
if ARGV[4] ~= '1' and (state == 'isolated' or (state == 'open' and untilMs > now)) then
  return reply()
end
opens = opens + 1
local openMs = math.floor(math.min(tonumber(ARGV[1]) * tonumber(ARGV[2]) ^ (opens - 1), tonumber(ARGV[3])))
state = 'open'
untilMs = now + openMs
write(openMs + tonumber(ARGV[5]))
return reply()`);

/**
 * Close (ARGV: expectedVer, forced, keepMs). Unless forced, only if nobody wrote since the
 * caller's last look (ver == expectedVer) or there is no record: a probe that succeeded after an
 * open another instance has since renewed must not close it.
 */
export const CLOSE = new RedisScript(`${READ_RECORD}
if ARGV[2] ~= '1' and state ~= 'none' and ver ~= tonumber(ARGV[1]) then
  return reply()
end
state = 'closed'
untilMs = 0
opens = 0
write(tonumber(ARGV[3]))
return reply()`);

/** Isolate (ARGV: keepMs). */
export const ISOLATE = new RedisScript(`${READ_RECORD}
state = 'isolated'
write(tonumber(ARGV[1]))
return reply()`);

/**
 * Write the caller's state only where there is no record (ARGV: state, remainingMs, opens, keepMs):
 * after Redis lost its data, an instance that knows the circuit is open says so again.
 */
export const RESTORE = new RedisScript(`${READ_RECORD}
if state ~= 'none' then return reply() end
state = ARGV[1]
untilMs = now + tonumber(ARGV[2])
opens = tonumber(ARGV[3])
write(tonumber(ARGV[2]) + tonumber(ARGV[4]))
return reply()`);
