import type { Redis } from 'ioredis';

/** One counter a guess is charged to (an account, a client address), and how many it may hold per window. */
export interface AttemptCounter {
  key: string;
  max: number;
}

export type Reservation = { ok: true; release(): Promise<void> } | { ok: false; retryAfterS: number };

// All or nothing, in one script so parallel guesses cannot all pass a check made before any of
// them is counted: when every counter is below its max, each is incremented (a counter's window
// starts with its first slot); otherwise nothing changes and the answer is how long, in ms, until
// the fullest counter resets. A counter left without a TTL (never written so, but it would lock
// its subject out for good) gets one.
const RESERVE_SCRIPT = `
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, window)
      ttl = window
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('INCR', key)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
end
return 0
`;

// Gives one slot back on each counter; a counter back at zero is deleted rather than left behind
// (and one that expired meanwhile is not recreated without a TTL, as a bare DECR would).
const RELEASE_SCRIPT = `
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n > 1 then redis.call('DECR', key) elseif n == 1 then redis.call('DEL', key) end
end
return 0
`;

/** Whole seconds for a Retry-After header, never 0 (a client told "0" would retry at once). */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * Fixed-window counters of attempts, reserved before the attempt runs. A slot is held by every
 * attempt in flight and kept by every failure, so at most `max` failures (or attempts in flight)
 * exist per window and counter, however many arrive at once.
 */
export class AttemptLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly windowS: number,
  ) {}

  async reserve(counters: readonly AttemptCounter[]): Promise<Reservation> {
    const keys = counters.map((c) => c.key);
    const waitMs = Number(await this.redis.eval(RESERVE_SCRIPT, keys.length, ...keys, this.windowS * 1000, ...counters.map((c) => c.max)));
    if (waitMs > 0) return { ok: false, retryAfterS: retryAfterSeconds(waitMs) };
    return {
      ok: true,
      release: async () => {
        await this.redis.eval(RELEASE_SCRIPT, keys.length, ...keys);
      },
    };
  }
}
