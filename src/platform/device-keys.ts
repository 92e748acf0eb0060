/** Key names of one installation's child devices, its selection and its sync state (device-store.ts only). */
export function deviceKeys(prefix: string) {
  const p = prefix;
  return {
    devices: (id: string) => `${p}:inst:${id}:devices`,
    selection: (id: string) => `${p}:inst:${id}:selected`,
    syncState: (id: string) => `${p}:inst:${id}:sync`,
  };
}

export type DeviceKeys = ReturnType<typeof deviceKeys>;
