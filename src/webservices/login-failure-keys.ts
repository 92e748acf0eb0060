/** Key name of failed credential counts, per kind and subject (login-limiter.ts only). */
export function loginFailureKeys(prefix: string) {
  const p = prefix;
  return {
    // One hash tag for every counter: a sign-in reserves the account's and the address's in one
    // script (attempt-limiter.ts), which a Cluster runs only within one slot.
    loginFailures: (kind: string, subject: string) => `${p}:{${p}:ws:login}:ws:login-failures:${kind}:${encodeURIComponent(subject)}`,
  };
}

export type LoginFailureKeys = ReturnType<typeof loginFailureKeys>;
