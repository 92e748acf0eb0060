import type { Keys } from '../runtime';
/**
 * Key names of the installation record family: the installation hash, the fleet and per-location
 * indexes, and the singleInstance slot. Read and written only by installation-store.ts; ingest keeps
 * its own fields in the installation hash (webhook-records.ts, the one documented exception).
 */
export function installationKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    installation: (id: string) => `${at(id)}:inst:${id}`,
    installationsAll: () => `${p}:installations`,
    installationsAtLocation: (locationId: string) => `${p}:location:${encodeURIComponent(locationId)}:installations`,
    /** singleInstance guard: holds the id of the one installation of `connector` at `locationId`. */
    singleInstance: (connector: string, locationId: string) => `${p}:location:${encodeURIComponent(locationId)}:single:${connector}`,
    /** Listing index: every installation by creation (a sorted set; see SortedIndex), and its backfill marker. */
    installationsIndex: () => `${p}:index:installations`,
    installationsIndexBackfilled: () => `${p}:index:installations:backfilled`,
  };
}

export type InstallationKeys = ReturnType<typeof installationKeys>;
