import type { Keys } from '../runtime';
/** Key names of one installation's child devices, its selection and its sync state (device-store.ts only). */
export function deviceKeys(keys: Keys) {
  const p = keys.prefix;
  /** The key space of the installation's partition (runtime/redis/partitions.ts). */
  const at = (id: string): string => keys.partitions.spaceOf(id);
  return {
    /** All of the installation's devices in one string value (issue 16.4). */
    devices: (id: string) => `${at(id)}:inst:${id}:devs`,
    /** A hash of one field per device, as written before issue 16.4: still read, converted by the first write. */
    legacyDevices: (id: string) => `${at(id)}:inst:${id}:devices`,
    selection: (id: string) => `${at(id)}:inst:${id}:selected`,
    syncState: (id: string) => `${at(id)}:inst:${id}:sync`,
    /** A sync cursor too long for the sync-state hash's compact encoding (device-store.ts, `CURSOR_IN_HASH_MAX`). */
    cursor: (id: string) => `${at(id)}:inst:${id}:cursor`,
  };
}

export type DeviceKeys = ReturnType<typeof deviceKeys>;
