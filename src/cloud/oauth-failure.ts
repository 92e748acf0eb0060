/** What went wrong at a token endpoint, safe to log: status and OAuth error code, never the payload. */
export interface TokenEndpointFailure {
  status: number | undefined;
  oauthError: string | undefined;
  summary: string;
  /** The parsed JSON payload, for the provider's refusal rules; never logged. */
  body: unknown;
}

/** Reads simple-oauth2's (Wreck/Boom) errors. */
export function describeTokenEndpointFailure(err: unknown): TokenEndpointFailure {
  const e = err as { output?: { statusCode?: number }; data?: { payload?: unknown }; code?: string; message?: string };
  const status = e.output?.statusCode;
  let payload = e.data?.payload;
  if (Buffer.isBuffer(payload)) {
    try {
      payload = JSON.parse(payload.toString('utf8')) as unknown;
    } catch {
      payload = undefined;
    }
  }
  let oauthError: string | undefined;
  if (payload && typeof payload === 'object' && 'error' in payload && typeof payload.error === 'string') {
    oauthError = payload.error.slice(0, 64);
  }
  const summary =
    status !== undefined
      ? `HTTP ${status}${oauthError ? ` ${oauthError}` : ''}`
      : (e.code ?? e.message?.slice(0, 120) ?? 'unknown error');
  return { status, oauthError, summary, body: payload };
}
