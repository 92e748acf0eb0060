/** Key names of Web Services users (users.ts only). */
export function userKeys(prefix: string) {
  const p = prefix;
  return {
    user: (id: string) => `${p}:ws:user:${id}`,
    userByName: (username: string) => `${p}:ws:username:${encodeURIComponent(username)}`,
    /** Listing index by creation (see SortedIndex), its one-time backfill marker, and what the backfill scans. */
    usersIndex: () => `${p}:ws:index:users`,
    usersIndexBackfilled: () => `${p}:ws:index:users:backfilled`,
    userPattern: () => `${p}:ws:user:*`,
  };
}

export type UserKeys = ReturnType<typeof userKeys>;
