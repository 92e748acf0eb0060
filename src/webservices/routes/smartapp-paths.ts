/**
 * Paths under /api that do not take the admin token: the external system's own API (bearer app
 * access token), the subscription confirmation link (its own token), and app revocation (admin or
 * the user, checked by the route).
 */
export function authenticatesItself(method: string, path: string): boolean {
  if (path.startsWith('/api/smartapps/')) return true;
  return method === 'DELETE' && /^\/api\/app-installations\/[^/]+\/?$/.test(path);
}

export function installationUri(publicUrl: string, appId: string): { uri: string; base_url: string; url: string } {
  const url = `/api/smartapps/installations/${appId}`;
  return { uri: `${publicUrl}${url}`, base_url: publicUrl, url };
}
