/** Key name of failed credential counts, per kind and subject (login-limiter.ts only). */
export function loginFailureKeys(prefix: string) {
  const p = prefix;
  return {
    loginFailures: (kind: string, subject: string) => `${p}:ws:login-failures:${kind}:${encodeURIComponent(subject)}`,
  };
}

export type LoginFailureKeys = ReturnType<typeof loginFailureKeys>;
