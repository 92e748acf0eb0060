import type { ChainableCommander, Redis } from 'ioredis';
import type { Keys } from '../runtime';
import { rateKeys, type RateKeys } from './rate-keys';
import type { RateLimit } from '../connectors';

// One round trip decides a call: neither scope paused, a token in every budget, a free lease slot;
// then all of them are taken together, or none. Budgets are token buckets (capacity = the quota,
// refilled evenly over its window), stored as "tokens ts". Replies: {1} admitted; {0, ms, 'pause'}
// paused for ms; {0, ms, 'busy'} no token or no slot, worth trying again in ms.
//   KEYS[1] account pause, KEYS[2] application pause, KEYS[3] leases, KEYS[4..] buckets
//   ARGV[1] now, ARGV[2] lease id, ARGV[3] lease expiry, ARGV[4] max leases, then per bucket: capacity, windowMs
const ADMIT = `
local now = tonumber(ARGV[1])
for i = 1, 2 do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl > 0 then return {0, ttl, 'pause'} end
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return {0, 25, 'busy'} end
local buckets = {}
for i = 4, #KEYS do
  local capacity = tonumber(ARGV[3 + (i - 3) * 2])
  local window = tonumber(ARGV[4 + (i - 3) * 2])
  local state = redis.call('GET', KEYS[i])
  local tokens, ts = capacity, now
  if state then
    local sep = string.find(state, ' ')
    tokens = tonumber(string.sub(state, 1, sep - 1))
    ts = tonumber(string.sub(state, sep + 1))
  end
  tokens = math.min(capacity, tokens + (now - ts) * capacity / window)
  if tokens < 1 then return {0, math.ceil((1 - tokens) * window / capacity), 'busy'} end
  buckets[i] = {tokens - 1, window}
end
for i, b in pairs(buckets) do redis.call('SET', KEYS[i], b[1] .. ' ' .. now, 'PX', b[2] * 2) end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('PEXPIRE', KEYS[3], math.max(1, tonumber(ARGV[3]) - now))
return {1}
`;

export type Admission = { admitted: true } | { admitted: false; waitMs: number; reason: 'pause' | 'busy' };

export interface GateSpec {
  installationId: string;
  connector: string;
  maxConcurrent: number;
  limits: readonly RateLimit[];
  /** How long one call (a refresh and a replay included) may hold its lease at most. */
  leaseMs: number;
}

/**
 * The cloud's limits, kept by every worker together: a pause after the cloud said "too many", the
 * published quotas as token buckets, and the per-account concurrency cap as expiring leases (a
 * worker that dies mid-call frees its slot when the lease expires). The only code on these keys.
 */
export class RateGate {
  private releasing: Array<{ key: string; leaseId: string; resolve: () => void; reject: (err: unknown) => void }> = [];

  private readonly keys: RateKeys;

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = rateKeys(keySpace);
  }

  private scopes(spec: Pick<GateSpec, 'installationId' | 'connector'>) {
    return { account: `inst:${spec.installationId}`, application: `app:${spec.connector}` };
  }

  /**
   * The admission, with `reads` queued behind it in the same round trip (the caller's next reads,
   * e.g. the stored tokens) and their replies, [error, value] each.
   */
  async admitWith(
    spec: GateSpec,
    leaseId: string,
    now: number,
    reads?: (pipeline: ChainableCommander) => void,
  ): Promise<{ admission: Admission; replies: Array<[Error | null, unknown]> }> {
    const scope = this.scopes(spec);
    const keys = [this.keys.ratePause(scope.account), this.keys.ratePause(scope.application), this.keys.cloudLeases(spec.installationId)];
    const args = [String(now), leaseId, String(now + spec.leaseMs), String(spec.maxConcurrent)];
    for (const limit of spec.limits) {
      keys.push(this.keys.rateBucket(scope[limit.per], limit.windowMs));
      args.push(String(limit.requests), String(limit.windowMs));
    }
    const pipeline = this.redis.pipeline().eval(ADMIT, keys.length, ...keys, ...args);
    reads?.(pipeline);
    const [first, ...replies] = (await pipeline.exec()) ?? [];
    if (!first) throw new Error('no reply from Redis');
    if (first[0]) throw first[0];
    const reply = first[1] as [number, number?, string?];
    const admission: Admission =
      reply[0] === 1 ? { admitted: true } : { admitted: false, waitMs: Number(reply[1] ?? 25), reason: reply[2] === 'pause' ? 'pause' : 'busy' };
    return { admission, replies: replies as Array<[Error | null, unknown]> };
  }

  /**
   * Gives a slot back. Releases of one event-loop turn go out together in one pipeline: under load,
   * many calls end in the same turn, and a release is never waited for by the caller.
   */
  release(installationId: string, leaseId: string): Promise<void> {
    if (this.releasing.length === 0) setImmediate(() => this.flushReleases());
    return new Promise((resolve, reject) => this.releasing.push({ key: this.keys.cloudLeases(installationId), leaseId, resolve, reject }));
  }

  private flushReleases(): void {
    const batch = this.releasing.splice(0);
    const pipeline = this.redis.pipeline();
    for (const r of batch) pipeline.zrem(r.key, r.leaseId);
    pipeline.exec().then(
      () => batch.forEach((r) => r.resolve()),
      (err: unknown) => batch.forEach((r) => r.reject(err)),
    );
  }

  /** Uninstall: the account's pause, leases and budgets go with it. */
  async forget(installationId: string, limits: readonly RateLimit[]): Promise<void> {
    const account = `inst:${installationId}`;
    const budgets = limits.filter((l) => l.per === 'account').map((l) => this.keys.rateBucket(account, l.windowMs));
    await this.redis.del(this.keys.ratePause(account), this.keys.cloudLeases(installationId), ...budgets);
  }

  /** The cloud said "too many": hold `per`'s calls on every worker for `ms`. */
  async pause(spec: Pick<GateSpec, 'installationId' | 'connector'>, per: 'account' | 'application', ms: number): Promise<void> {
    await this.redis.set(this.keys.ratePause(this.scopes(spec)[per]), '1', 'PX', Math.max(1, Math.round(ms)));
  }
}
