/** Key names of Web Services users (users.ts only). */
export function userKeys(prefix: string) {
  const p = prefix;
  return {
    user: (id: string) => `${p}:ws:user:${id}`,
    userByName: (username: string) => `${p}:ws:username:${encodeURIComponent(username)}`,
  };
}

export type UserKeys = ReturnType<typeof userKeys>;
