// The three steps of the Redis store, each one Lua script on one key: a hash holding the record.
//
//   state    'run' (leased), 'done' (response recorded) or 'free' (released)
//   token    the fencing counter: HINCRBY'd on every claim, never reset while the hash lives
//   fp       the fingerprint of the request that holds or held the lease
//   until    the lease's end, in server ms (only while 'run')
//   status, headers, body   the recorded response (only while 'done'); body is raw bytes
//
// Time is the server's TIME, never the client's clock. The hash lives max(ttlMs, leaseMs) from
// its last claim and ttlMs from its completion, so the counter outlives every lease it fenced.
// When a hash does expire, the next claim starts its counter at the server's time in ms: tokens
// of the expired record (started at an earlier time, one more per claim) stay below it unless
// the key was claimed more often than once per millisecond over its whole life.
//
// Complete and release announce the change on the key's channel, `<record key>:settled`, in the
// same script (no extra round trip), so a duplicate waiting in another process looks again at
// once. The channel carries the record key's hash tag, so on a Cluster it lives in the key's slot
// and the announcement is a sharded one (SPUBLISH, Redis 7) sent only to that shard's
// subscribers; a Cluster without SPUBLISH (Redis 6) announces nothing (pcall: the write stands)
// and its waiters poll. The message text is the new state.

/** Claim: ARGV fingerprint, leaseMs, ttlMs → {1, token} | {2, fp, leaseRemainingMs} | {3, fp, status, headers, body}. */
export const CLAIM = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local r = redis.call('HMGET', KEYS[1], 'state', 'fp', 'until', 'status', 'headers', 'body')
if r[1] == 'done' then
  return {3, r[2], tonumber(r[4]), r[5], r[6]}
end
if r[1] == 'run' and tonumber(r[3]) > now then
  return {2, r[2], tonumber(r[3]) - now}
end
local step = 1
if redis.call('HEXISTS', KEYS[1], 'token') == 0 then step = now end
local token = redis.call('HINCRBY', KEYS[1], 'token', step)
local lease = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'state', 'run', 'fp', ARGV[1], 'until', now + lease)
redis.call('PEXPIRE', KEYS[1], math.max(lease, tonumber(ARGV[3])))
return {1, token}
`;

/**
 * Lua shared by complete and release: `announce(mode, state)` tells waiting instances that the
 * record settled, on its own channel (`SPUBLISH` in the record's slot when `mode` is 's', on a
 * Cluster; a server without it only skips the announcement, waiters then poll).
 */
const ANNOUNCE = `
local function announce(mode, state)
  local channel = KEYS[1] .. ':settled'
  if mode == 's' then
    redis.pcall('SPUBLISH', channel, state)
  else
    redis.call('PUBLISH', channel, state)
  end
end
`;

/**
 * Complete: ARGV token, status, headers (JSON), body, ttlMs, announce ('s' sharded, else plain)
 * → 1 recorded | 0 fenced out.
 */
export const COMPLETE = `${ANNOUNCE}
local r = redis.call('HMGET', KEYS[1], 'state', 'token')
if r[1] ~= 'run' or r[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'headers', ARGV[3], 'body', ARGV[4])
redis.call('HDEL', KEYS[1], 'until')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
announce(ARGV[6], 'done')
return 1
`;

/**
 * Release: ARGV token, announce ('s' sharded, else plain) → 1 released | 0 not the holder. The
 * counter stays.
 */
export const RELEASE = `${ANNOUNCE}
local r = redis.call('HMGET', KEYS[1], 'state', 'token')
if r[1] ~= 'run' or r[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'free')
redis.call('HDEL', KEYS[1], 'fp', 'until')
announce(ARGV[2], 'free')
return 1
`;
