import type { Keys } from '../runtime';
/** Key names of cloud quotas and concurrency leases (rate-gate.ts only). */
export function rateKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  /**
   * An account's quota keys live in its partition (one script admits against them and its leases);
   * a client id's (`app:<connector>`) share a hash tag of their own, so its pause and its budgets of
   * every window are one slot too. The two scopes are never in one script (rate-gate.ts): the
   * account's script reads only its partition's copy of the client id's pause (appPauseCopy).
   */
  const scoped = (scope: string): string => {
    const inst = /^inst:(.+)$/.exec(scope);
    return inst?.[1] !== undefined ? `${at(inst[1])}:${scope}` : `${p}:{${p}:${scope}}`;
  };
  return {
    /** Cloud calls of one installation in flight, across every worker (a sorted set of leases). */
    cloudLeases: (id: string) => `${at(id)}:inst:${id}:cloud-leases`,
    /** A cloud quota's budget: `scope` is `inst:<id>` (one account) or `app:<connector>` (the client id). */
    rateBucket: (scope: string, windowMs: number) => `${scoped(scope)}:rate:${windowMs}`,
    /** Set while the cloud asked `scope` to hold its calls (a 429 and its Retry-After). */
    ratePause: (scope: string) => `${scoped(scope)}:rate-pause`,
    /**
     * The client id's pause, copied into the partition of `installationId` (one copy per partition,
     * same PX), so the account's script sees it in its own slot and a connector without
     * application-wide budgets needs no script in the client id's slot.
     */
    appPauseCopy: (connector: string, installationId: string) => `${at(installationId)}:app:${connector}:rate-pause`,
    /** The copy of partition `k` (what a pause writes, for every partition). */
    appPauseCopyOf: (connector: string, k: number) => `${keys.partitions.space(k)}:app:${connector}:rate-pause`,
  };
}

export type RateKeys = ReturnType<typeof rateKeys>;
