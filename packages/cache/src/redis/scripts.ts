import { RedisScript } from '@bulwark/kernel';

// The keys of one cache key K share the hash tag {K}, so every script below touches one slot:
//   <prefix>{K}        a string: a header line, then the serialized value:
//                      fence|written|fresh|swr|sie|delta|undefined|tags\n<value>
//       fence    the fencing token it was written with      written  the server's ms (TIME) then
//       fresh    ms the value is fresh for (-1: forever)     swr, sie  the stale windows in ms
//       delta    the load's duration (XFetch's δ)            undefined 1 when the value is `undefined`
//       tags     the tags as JSON, or empty
//   <prefix>{K}:lease  the loader's lease: a random token, SET NX PX, renewed and released by it only
//   <prefix>{K}:fence  the fencing counter, INCR'd on every lease, set and delete
// A write under a lease carries the token's fence and is refused unless the counter still holds
// it: a loader whose lease expired (and was taken over, or superseded by a set or delete) cannot
// overwrite newer data. Age is always the server's own: TIME now minus TIME when written.

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Looks up K and, when no usable value is there, elects a loader: one round trip either way.
 * KEYS: value, lease, fence. ARGV: haveFence (the entry the caller holds; -1: none), refresh (1:
 * only a value newer than haveFence will do, even fresh; 0: a fresh or revalidatable value will
 * do), token, leaseMs, fenceKeepMs. Reply: { kind, n, raw, now } where kind is 1 (raw is a usable
 * value), 2 (the caller holds the lease, n = its fence) or 3 (another holds it, n = the lease's
 * remaining ms); raw is the stored string if any (stale for 2 and 3), now the server's ms.
 */
export const LOOKUP = new RedisScript(`${NOW}
local raw = redis.call('GET', KEYS[1])
if raw then
  local fence, written, fresh, swr = string.match(raw, '^(%d+)|(%d+)|(%-?%d+)|(%d+)|')
  local age = now - tonumber(written)
  fresh = tonumber(fresh)
  local current = fresh < 0 or age < fresh
  local revalidatable = ARGV[2] == '0' and fresh >= 0 and age < fresh + tonumber(swr)
  if tonumber(fence) ~= tonumber(ARGV[1]) and (current or revalidatable) then
    return { 1, 0, raw, now }
  end
end
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4]) then
  local fence = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  return { 2, fence, raw, now }
end
return { 3, redis.call('PTTL', KEYS[2]), raw, now }`);

/**
 * Writes K's value. KEYS: value, lease, fence. ARGV: fence (0: a plain set, which takes a new
 * fence; else the loader's, refused unless current), token (its lease, released on the way), the
 * header after `written` (fresh|swr|sie|delta|undefined|tags), the serialized value, keepMs (-1:
 * no expiry), fenceKeepMs. Reply: the fence written, or 0 when refused.
 */
export const WRITE = new RedisScript(`${NOW}
local fence = tonumber(ARGV[1])
local released = redis.call('GET', KEYS[2]) == ARGV[2]
if fence == 0 then
  fence = redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
elseif fence ~= (tonumber(redis.call('GET', KEYS[3])) or 0) then
  if released then redis.call('DEL', KEYS[2]) end
  return 0
end
local raw = fence .. '|' .. now .. '|' .. ARGV[3] .. '\\n' .. ARGV[4]
if tonumber(ARGV[5]) >= 0 then
  redis.call('SET', KEYS[1], raw, 'PX', ARGV[5])
else
  redis.call('SET', KEYS[1], raw)
end
if released then redis.call('DEL', KEYS[2]) end
return fence`);

/** Deletes K's value and moves its fence on, so a load in flight cannot write it back. KEYS: value, fence. ARGV: fenceKeepMs. */
export const DELETE = new RedisScript(`
local deleted = redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return deleted`);

/** Releases a lease if the caller still holds it. KEYS: lease. ARGV: token. */
export const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** Extends a lease if the caller still holds it. KEYS: lease. ARGV: token, leaseMs. Reply 1 or 0. */
export const RENEW = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

/**
 * Adds K to a tag's set, which lives as long as its longest-lived member. KEYS: tag set.
 * ARGV: K, keepMs (-1: forever).
 */
export const TAG = new RedisScript(`
local created = redis.call('SADD', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 1
local keep = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if keep < 0 then
  redis.call('PERSIST', KEYS[1])
elseif created or (ttl >= 0 and ttl < keep) then
  redis.call('PEXPIRE', KEYS[1], keep)
end
return 1`);
