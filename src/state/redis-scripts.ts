import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1, for EVALSHA with an EVAL fallback. */
export interface RedisScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Redis's own clock in ms: every replica's bucket and permit arithmetic uses the same time. */
const REDIS_NOW = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * Token bucket, atomic (one script = one round trip): KEYS[1] the bucket hash; ARGV capacity,
 * tokens per ms. Starts full, refills continuously, expires once it would be full again.
 * Returns `{allowed (0|1), tokens left as a string}` (Lua numbers become integers on return).
 */
export const TAKE_TOKEN_SCRIPT = script(`${REDIS_NOW}
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return { allowed, tostring(tokens) }`);

/**
 * Fleet-wide probe permits: KEYS[1] a sorted set of permit ids scored by lease end; ARGV max,
 * lease ms, permit id. Frees expired leases, then adds the permit when fewer than max are held.
 * Returns 1 when granted, 0 when not.
 */
export const ACQUIRE_PERMIT_SCRIPT = script(`${REDIS_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
local lease = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
redis.call('PEXPIRE', KEYS[1], lease + 1000)
return 1`);

/**
 * Records one shared-state event and publishes it, atomically: KEYS circuits hash, cool-downs
 * hash, enabled hash, added hash, removed set; ARGV the event as JSON, the channel, the message.
 * Hash fields are "provider|model" (provider names cannot contain "|").
 */
export const RECORD_EVENT_SCRIPT = script(`local event = cjson.decode(ARGV[1])
local function forget(provider)
  local prefix = provider .. '|'
  for _, hash in ipairs({ KEYS[1], KEYS[2] }) do
    for _, field in ipairs(redis.call('HKEYS', hash)) do
      if string.sub(field, 1, #prefix) == prefix then redis.call('HDEL', hash, field) end
    end
  end
end
if event.type == 'circuit' then
  local field = event.provider .. '|' .. event.model
  if event.state == 'closed' then redis.call('HDEL', KEYS[1], field)
  else redis.call('HSET', KEYS[1], field, ARGV[1]) end
elseif event.type == 'cool_down' then
  local field = event.provider .. '|' .. event.model
  local known = redis.call('HGET', KEYS[2], field)
  if not known or cjson.decode(known)['until'] < event['until'] then redis.call('HSET', KEYS[2], field, ARGV[1]) end
elseif event.type == 'admin' then
  if event.action == 'enable' then redis.call('HSET', KEYS[3], event.provider, '1')
  elseif event.action == 'disable' then redis.call('HSET', KEYS[3], event.provider, '0')
  elseif event.action == 'reset' then forget(event.provider)
  elseif event.action == 'add' then
    forget(event.provider)
    redis.call('HDEL', KEYS[3], event.provider)
    redis.call('SREM', KEYS[5], event.provider)
    redis.call('HSET', KEYS[4], event.provider, ARGV[1])
  elseif event.action == 'remove' then
    forget(event.provider)
    redis.call('HDEL', KEYS[3], event.provider)
    redis.call('HDEL', KEYS[4], event.provider)
    redis.call('SADD', KEYS[5], event.provider)
  end
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`);
