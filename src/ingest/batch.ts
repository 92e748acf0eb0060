/**
 * Pure planning for one batched webhook job: which callbacks still need applying, grouped so that
 * one installation's callbacks run one after another in arrival order (dedup and last-write-wins
 * depend on that order) while different installations run side by side.
 */
export interface InstallationRun {
  installationId: string;
  /** Positions in the batch, ascending. */
  indices: number[];
}

export function planBatch(callbacks: ReadonlyArray<{ installationId: string }>, done: ReadonlySet<number>): InstallationRun[] {
  const runs = new Map<string, InstallationRun>();
  callbacks.forEach((c, i) => {
    if (done.has(i)) return;
    let run = runs.get(c.installationId);
    if (!run) {
      run = { installationId: c.installationId, indices: [] };
      runs.set(c.installationId, run);
    }
    run.indices.push(i);
  });
  return [...runs.values()];
}

/** Runs `task` over `items`, at most `limit` at a time; never rejects (each result says how it went). */
export async function settleLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await task(items[i] as T) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}
