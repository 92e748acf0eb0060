/** Key names of cloud quotas and concurrency leases (rate-gate.ts only). */
export function rateKeys(prefix: string) {
  const p = prefix;
  return {
    /** Cloud calls of one installation in flight, across every worker (a sorted set of leases). */
    cloudLeases: (id: string) => `${p}:inst:${id}:cloud-leases`,
    /** A cloud quota's budget: `scope` is `inst:<id>` (one account) or `app:<connector>` (the client id). */
    rateBucket: (scope: string, windowMs: number) => `${p}:${scope}:rate:${windowMs}`,
    /** Set while the cloud asked `scope` to hold its calls (a 429 and its Retry-After). */
    ratePause: (scope: string) => `${p}:${scope}:rate-pause`,
  };
}

export type RateKeys = ReturnType<typeof rateKeys>;
