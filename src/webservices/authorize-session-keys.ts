/** Key name of a signed-in authorization session (authorize-session.ts only). */
export function authorizeSessionKeys(prefix: string) {
  const p = prefix;
  return {
    authorizeSession: (id: string) => `${p}:ws:authorize:${id}`,
  };
}

export type AuthorizeSessionKeys = ReturnType<typeof authorizeSessionKeys>;
