/** A request a connector makes to its cloud, relative to the connector's API base URL. */
export interface CloudRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface CloudResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, otherwise undefined. */
  body: unknown;
  text: string;
}

/**
 * What a response means, decided once inside the authorized client:
 * ok · token_expired (refresh once and replay) · reauth_required (the user must link again) ·
 * rate_limited (the cloud's quota: every worker holds this account's calls until its Retry-After) ·
 * retry (transient: back off and try later) · fatal (do not retry).
 */
export type Classification = 'ok' | 'token_expired' | 'reauth_required' | 'rate_limited' | 'retry' | 'fatal';

/**
 * A quota the cloud publishes, declared as data: at most `requests` calls per `windowMs`, counted
 * per linked account (one installation's token) or per application (the client id, every
 * installation together). Every worker draws from one shared budget in Redis.
 */
export interface RateLimit {
  per: 'account' | 'application';
  requests: number;
  windowMs: number;
}

/** The authorized client as connectors see it: tokens are attached and renewed for them. */
export interface CloudHttp {
  request(request: CloudRequest): Promise<CloudResponse>;
}

/** HTTP 401 means an expired token, 429 the cloud's quota, 5xx transient, other 4xx final. */
export function defaultClassify(response: CloudResponse): Classification {
  if (response.status === 401) return 'token_expired';
  if (response.status === 429) return 'rate_limited';
  if (response.status >= 500) return 'retry';
  if (response.status >= 400) return 'fatal';
  return 'ok';
}
