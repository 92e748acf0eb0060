/** Key names of registered OAuth clients (clients.ts only). */
export function clientKeys(prefix: string) {
  const p = prefix;
  return {
    client: (clientId: string) => `${p}:ws:client:${clientId}`,
  };
}

export type ClientKeys = ReturnType<typeof clientKeys>;
