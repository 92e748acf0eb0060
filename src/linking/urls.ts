/** Every URL the host hands out is built here from PUBLIC_URL, so redirects only go where we configured. */
export function callbackUrl(publicUrl: string, connector: string): string {
  return `${publicUrl}/connectors/${encodeURIComponent(connector)}/oauth/callback`;
}

export function setupUrl(publicUrl: string, connector: string, installationId: string, accessToken: string): string {
  const q = new URLSearchParams({ appId: installationId, access_token: accessToken });
  return `${publicUrl}/connectors/${encodeURIComponent(connector)}/setup?${q.toString()}`;
}

export function initializeUrl(publicUrl: string, connector: string, installationId: string, accessToken: string): string {
  const q = new URLSearchParams({ appId: installationId, access_token: accessToken });
  return `${publicUrl}/connectors/${encodeURIComponent(connector)}/oauth/initialize?${q.toString()}`;
}

/** One of the end user's own pages (devices, a device, apps), reached with the installation's token like setup. */
export function userPageUrl(
  publicUrl: string,
  connector: string,
  path: string,
  installationId: string,
  accessToken: string,
  extra: Record<string, string> = {},
): string {
  const q = new URLSearchParams({ appId: installationId, access_token: accessToken, ...extra });
  return `${publicUrl}/connectors/${encodeURIComponent(connector)}${path}?${q.toString()}`;
}
