/**
 * RFC 6749 §3.1.2: a redirection endpoint is an absolute URI without a fragment. We accept only
 * http(s), which is all a web-service client needs, and keep the string as registered.
 */
export function isValidRedirectUri(value: string): boolean {
  if (value.length > 2000 || /\s/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  return url.hash === '' && !value.includes('#') && url.username === '' && url.password === '';
}

/**
 * Exact string comparison (RFC 6749 §3.1.2.3 "simple string comparison", as OAuth 2.1 requires):
 * no normalisation, no prefix matching, so an attacker cannot steer a code to a look-alike path.
 */
export function matchRedirectUri(registered: readonly string[], presented: string): boolean {
  return registered.includes(presented);
}

/** Appends the authorization response to the redirect URI, keeping any query it already has. */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString();
}
