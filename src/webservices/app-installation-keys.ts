/** Key names of app installations and their indexes (app-installations.ts only). */
export function appInstallationKeys(prefix: string) {
  const p = prefix;
  return {
    app: (id: string) => `${p}:ws:app:${id}`,
    userApps: (userId: string) => `${p}:ws:user:${userId}:apps`,
    /** App installations of one OAuth client, so deleting the client revokes them. */
    clientApps: (clientId: string) => `${p}:ws:client:${clientId}:apps`,
    /** App installations that were granted one child device, for event routing. */
    deviceApps: (deviceId: string) => `${p}:ws:device:${deviceId}:apps`,
  };
}

export type AppInstallationKeys = ReturnType<typeof appInstallationKeys>;
