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
  const location = (locationId: string): string => `${p}:location:${encodeURIComponent(locationId)}`;
  return {
    installation: (id: string) => `${at(id)}:inst:${id}`,
    /** The installations at a location: a sorted set of ids, scores 0 (listpack-encoded while small). */
    installationsAtLocation: (locationId: string) => `${location(locationId)}:ids`,
    /** singleInstance guard: holds the id of the one installation of `connector` at `locationId`. */
    singleInstance: (connector: string, locationId: string) => `${location(locationId)}:single:${connector}`,
    /** Listing index: every installation by creation (a sorted set; see SortedIndex). */
    installationsIndex: () => `${p}:index:installations`,
    /**
     * Retired forms, read only to move what they hold into the sorted sets above (issue 16.4): a set
     * of every id (the index answers every use of it), one set of ids per location (a set of strings
     * is a hash table on Redis 7.0, ~250 B for one id), and the index's one-time backfill marker.
     */
    legacyInstallationsAll: () => `${p}:installations`,
    legacyInstallationsAtLocation: (locationId: string) => `${location(locationId)}:installations`,
    legacyInstallationsIndexBackfilled: () => `${p}:index:installations:backfilled`,
  };
}

export type InstallationKeys = ReturnType<typeof installationKeys>;
