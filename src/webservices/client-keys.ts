/** Key names of registered OAuth clients (clients.ts only). */
export function clientKeys(prefix: string) {
  const p = prefix;
  return {
    client: (clientId: string) => `${p}:ws:client:${clientId}`,
    /** Listing index by creation (see SortedIndex), its one-time backfill marker, and what the backfill scans. */
    clientsIndex: () => `${p}:ws:index:clients`,
    clientsIndexBackfilled: () => `${p}:ws:index:clients:backfilled`,
    clientPattern: () => `${p}:ws:client:*`,
  };
}

export type ClientKeys = ReturnType<typeof clientKeys>;
