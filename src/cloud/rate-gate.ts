import type { ChainableCommander, Redis } from 'ioredis';
import { inTurn, type Keys } from '../runtime';
import { rateKeys, type RateKeys } from './rate-keys';
import type { RateLimit } from '../connectors';

// A call is decided by up to two scripts, one per scope, because an account's keys live in its
// installation's partition and a client id's under a hash tag of their own (never one slot on a
// Cluster). Each takes what it needs (a token in every budget of its scope; the account a lease
// slot too) or nothing. When one admits and the other refuses, what the admitting one took is given
// back (REFUND, and the lease released): a refused call costs no budget, and a budget is never
// overdrawn. Budgets are token buckets (capacity = the quota, refilled evenly over its window),
// stored as "tokens ts". Replies: {1} admitted; {0, ms, 'pause'} paused for ms; {0, ms, 'busy'} no
// token or no slot, worth trying again in ms.
// The account's script also reads its partition's copy of the client id's pause (pause() writes
// one per partition), so a connector without application-wide budgets runs the account's script
// alone: one script, in the installation's slot, rides in the poll's pipeline on a Cluster too.
//   KEYS: ARGV[6] pauses (the longest wins), then the leases if ARGV[5] is '1' (the account's; an
//   application has none), then the scope's buckets
//   ARGV[1] now, ARGV[2] lease id, ARGV[3] lease expiry, ARGV[4] max leases, ARGV[5] leases?,
//   ARGV[6] how many pause keys, then per bucket: capacity, windowMs
const ADMIT = `
local now = tonumber(ARGV[1])
local pauses = tonumber(ARGV[6])
local wait = 0
for i = 1, pauses do
  local ttl = redis.call('PTTL', KEYS[i])
  if ttl > wait then wait = ttl end
end
if wait > 0 then return {0, wait, 'pause'} end
local leases = ARGV[5] == '1'
local lk = pauses + 1
local first = lk
if leases then
  first = lk + 1
  redis.call('ZREMRANGEBYSCORE', KEYS[lk], '-inf', now)
  if redis.call('ZCARD', KEYS[lk]) >= tonumber(ARGV[4]) then return {0, 25, 'busy'} end
end
local buckets = {}
for i = first, #KEYS do
  local capacity = tonumber(ARGV[7 + (i - first) * 2])
  local window = tonumber(ARGV[8 + (i - first) * 2])
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
if leases then
  redis.call('ZADD', KEYS[lk], ARGV[3], ARGV[2])
  redis.call('PEXPIRE', KEYS[lk], math.max(1, tonumber(ARGV[3]) - now))
end
return {1}
`;

// Gives back the token ADMIT took from each bucket (capped at its capacity; TTL kept), and the
// lease. KEYS: the leases if ARGV[2] is '1', then the buckets; ARGV[1] lease id, then per bucket: capacity.
const REFUND = `
local first = 1
if ARGV[2] == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  first = 2
end
for i = first, #KEYS do
  local state = redis.call('GET', KEYS[i])
  if state then
    local sep = string.find(state, ' ')
    local tokens = math.min(tonumber(ARGV[3 + i - first]), tonumber(string.sub(state, 1, sep - 1)) + 1)
    redis.call('SET', KEYS[i], tokens .. ' ' .. string.sub(state, sep + 1), 'KEEPTTL')
  end
end
return 1
`;

type Reply = [number, number?, string?];

interface ScopeCall {
  keys: string[];
  args: string[];
  /** What REFUND needs to give back what ADMIT took. */
  refund: { keys: string[]; args: string[] };
}

interface Calls {
  account: ScopeCall;
  application: ScopeCall | undefined;
}

function toAdmission(reply: Reply): Admission {
  return reply[0] === 1 ? { admitted: true } : { admitted: false, waitMs: Number(reply[1] ?? 25), reason: reply[2] === 'pause' ? 'pause' : 'busy' };
}

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
/** An admission queued on a caller's pipeline (queueAdmit). */
export interface QueuedAdmission {
  /** How many commands were queued. */
  commands: number;
  /** Reads their replies, in order. */
  settle: (replies: Array<[Error | null, unknown]>) => Promise<Admission>;
  /** Returns what a granted admission took (slot and tokens), for one that will not be used. */
  giveBack: () => Promise<void>;
}

export class RateGate {
  private readonly keys: RateKeys;
  private readonly partitions: Keys['partitions'];

  constructor(
    private readonly redis: Redis,
    keySpace: Keys,
  ) {
    this.keys = rateKeys(keySpace);
    this.partitions = keySpace.partitions;
  }

  private scopes(spec: Pick<GateSpec, 'installationId' | 'connector'>) {
    return { account: `inst:${spec.installationId}`, application: `app:${spec.connector}` };
  }

  /**
   * The scripts of one call. `application` is absent when the connector declares no
   * application-wide budget: the client id's pause is then read from the partition's copy by the
   * account's script alone. Rolling upgrade: a pause written by an older process (only at the
   * client id's own key) is not seen by a newer one for such connectors until that process is
   * replaced; a newer process writes both, so older ones still see its pauses.
   */
  private calls(spec: GateSpec, leaseId: string, now: number): Calls {
    const scope = this.scopes(spec);
    const common = [String(now), leaseId, String(now + spec.leaseMs), String(spec.maxConcurrent)];
    const call = (per: 'account' | 'application'): ScopeCall => {
      const pauses = per === 'account' ? [this.keys.ratePause(scope.account), this.keys.appPauseCopy(spec.connector, spec.installationId)] : [this.keys.ratePause(scope.application)];
      const leases = per === 'account' ? [this.keys.cloudLeases(spec.installationId)] : [];
      const flag = leases.length === 1 ? '1' : '0';
      const buckets = spec.limits.filter((l) => l.per === per);
      const bucketKeys = buckets.map((l) => this.keys.rateBucket(scope[per], l.windowMs));
      return {
        keys: [...pauses, ...leases, ...bucketKeys],
        args: [...common, flag, String(pauses.length), ...buckets.flatMap((l) => [String(l.requests), String(l.windowMs)])],
        refund: { keys: [...leases, ...bucketKeys], args: [leaseId, flag, ...buckets.map((l) => String(l.requests))] },
      };
    };
    const application = spec.limits.some((l) => l.per === 'application') ? call('application') : undefined;
    return { account: call('account'), application };
  }

  /** Both scopes' replies → one admission; what one scope took while the other refused is given back. */
  private async settle(calls: Calls, appResult: [Error | null, unknown] | undefined, accountResult: [Error | null, unknown] | undefined): Promise<Admission> {
    if (!accountResult || (calls.application && !appResult)) throw new Error('no reply from Redis');
    if (appResult?.[0]) throw appResult[0];
    if (accountResult[0]) throw accountResult[0];
    const acct = toAdmission(accountResult[1] as Reply);
    // No script ran in the client id's slot: the account's admission (and what it took) is the call's.
    if (!calls.application || !appResult) return acct;
    const app = toAdmission(appResult[1] as Reply);
    if (app.admitted && !acct.admitted) await this.refund(calls.application);
    if (acct.admitted && !app.admitted) await this.refund(calls.account);
    return !acct.admitted && (acct.reason === 'pause' || app.admitted) ? acct : app;
  }

  private evalAlone(call: ScopeCall): Promise<[Error | null, unknown]> {
    return this.redis.eval(ADMIT, call.keys.length, ...call.keys, ...call.args).then(
      (reply): [Error | null, unknown] => [null, reply],
      (err: unknown): [Error | null, unknown] => [err instanceof Error ? err : new Error(String(err)), null],
    );
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
    const calls = this.calls(spec, leaseId, now);
    const { account, application } = calls;
    // The account's script and the caller's reads (the installation's own keys) share a slot, so
    // they go in one pipeline. On a single server the application's script (if any) joins them (one
    // round trip); on a Cluster its slot may be on another node, so it goes beside them, in parallel.
    const pipeline = this.redis.pipeline();
    const appSeparately = application && this.redis.isCluster ? this.evalAlone(application) : undefined;
    const appInPipeline = application !== undefined && !appSeparately;
    if (appInPipeline) pipeline.eval(ADMIT, application.keys.length, ...application.keys, ...application.args);
    pipeline.eval(ADMIT, account.keys.length, ...account.keys, ...account.args);
    reads?.(pipeline);
    const [results, appAlone] = await Promise.all([pipeline.exec(), appSeparately]);
    const all = results ?? [];
    const [appResult, accountResult, ...replies] = appInPipeline ? all : [appAlone, ...all];
    return { admission: await this.settle(calls, appResult, accountResult), replies: replies as Array<[Error | null, unknown]> };
  }

  /**
   * Queues an admission on a pipeline the caller sends anyway (a poll's lock pipeline), so the
   * first call needs no round trip of its own: `commands` were queued, `settle` reads their
   * replies in order. On a Cluster only the account's script joins the caller's pipeline (its keys
   * share the installation's slot); the application's, when the connector has budgets of that
   * scope, goes beside it, now, in parallel.
   */
  queueAdmit(pipeline: ChainableCommander, spec: GateSpec, leaseId: string, now: number): QueuedAdmission {
    const calls = this.calls(spec, leaseId, now);
    const { account, application } = calls;
    // An admission that was granted but never used (the poll did not get its lock, or will not
    // call) gives back its slot and its tokens: a call not made costs no budget.
    const giveBack = async (): Promise<void> => {
      await Promise.all([this.refund(account), application ? this.refund(application) : undefined]);
    };
    if (!application || this.redis.isCluster) {
      const app = application ? this.evalAlone(application) : undefined;
      pipeline.eval(ADMIT, account.keys.length, ...account.keys, ...account.args);
      return { commands: 1, settle: async (replies) => this.settle(calls, await app, replies[0]), giveBack };
    }
    pipeline.eval(ADMIT, application.keys.length, ...application.keys, ...application.args);
    pipeline.eval(ADMIT, account.keys.length, ...account.keys, ...account.args);
    return { commands: 2, settle: (replies) => this.settle(calls, replies[0], replies[1]), giveBack };
  }

  private async refund(scope: ScopeCall): Promise<void> {
    if (scope.refund.keys.length === 0) return;
    await this.redis.eval(REFUND, scope.refund.keys.length, ...scope.refund.keys, ...scope.refund.args);
  }

  /**
   * Gives a slot back. Sent with the other writes of this event-loop turn (inTurn): under load many
   * calls end in the same turn, a poll's lock release goes with its lease's, and a release is never
   * waited for by the caller.
   */
  async release(installationId: string, leaseId: string): Promise<void> {
    const key = this.keys.cloudLeases(installationId);
    await inTurn(this.redis, key, (pipeline) => pipeline.zrem(key, leaseId));
  }

  /** Uninstall: the account's pause, leases and budgets go with it. */
  async forget(installationId: string, limits: readonly RateLimit[]): Promise<void> {
    const account = `inst:${installationId}`;
    const budgets = limits.filter((l) => l.per === 'account').map((l) => this.keys.rateBucket(account, l.windowMs));
    await this.redis.del(this.keys.ratePause(account), this.keys.cloudLeases(installationId), ...budgets);
  }

  /**
   * The cloud said "too many": hold `per`'s calls on every worker for `ms`. A client id's pause is
   * written at its own key (read by its script, and by processes older than the partition copies)
   * and copied into every partition, with the same PX, so every account's script sees it in its
   * own slot (a rare event: K writes, pipelined, or sent together on a Cluster).
   */
  async pause(spec: Pick<GateSpec, 'installationId' | 'connector'>, per: 'account' | 'application', ms: number): Promise<void> {
    const px = Math.max(1, Math.round(ms));
    const scopeKey = this.keys.ratePause(this.scopes(spec)[per]);
    if (per === 'account') {
      await this.redis.set(scopeKey, '1', 'PX', px);
      return;
    }
    const keys = [scopeKey, ...this.partitions.all().map((k) => this.keys.appPauseCopyOf(spec.connector, k))];
    if (this.redis.isCluster) {
      await Promise.all(keys.map((key) => this.redis.set(key, '1', 'PX', px)));
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.set(key, '1', 'PX', px);
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }
}
