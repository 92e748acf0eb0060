/** Which of the fake's routes a request is for; anything else is a 404. */

export type FakeRoute = 'authorize' | 'token' | 'thermostat' | 'thermostatSummary' | 'revoke';

/** `revocation`: serve POST /revoke (RFC 7009), which ecobee does not document; off unless a test asks. */
export function routeOf(method: string, path: string, revocation = false): FakeRoute | undefined {
  if (revocation && path === '/revoke' && method === 'POST') return 'revoke';
  const getOrPost = method === 'GET' || method === 'POST';
  if (path === '/authorize' && getOrPost) return 'authorize';
  if (path === '/token' && method === 'POST') return 'token';
  if (path === '/1/thermostat' && getOrPost) return 'thermostat';
  // POST is routed so that it can get §6 code 12 ("Post not supported for request").
  if (path === '/1/thermostatSummary' && getOrPost) return 'thermostatSummary';
  return undefined;
}
