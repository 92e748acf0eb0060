import { cloudUnavailable } from './errors';
import type { CloudRequest, CloudResponse } from '../connectors';

/** Largest cloud response body we read; a larger one is treated as a transient failure. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export function buildUrl(apiUrl: string, request: CloudRequest): string {
  const url = new URL(`${apiUrl.replace(/\/+$/, '')}${request.path}`);
  for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

/**
 * One HTTP exchange with a timeout. Network errors and timeouts become `cloud_unavailable`
 * without echoing the URL (it may carry parameters we do not want in logs).
 */
export async function send(
  apiUrl: string,
  request: CloudRequest,
  accessToken: string,
  timeoutMs: number,
): Promise<CloudResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers, authorization: `Bearer ${accessToken}` };
  let body: string | undefined;
  if (request.json !== undefined) {
    headers['content-type'] = 'application/json;charset=UTF-8';
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(buildUrl(apiUrl, request), {
      method: request.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > MAX_RESPONSE_BYTES) throw new Error('response too large');
    text = await res.text();
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'network error';
    throw cloudUnavailable(`${request.method ?? 'GET'} ${request.path}: ${reason}`, err);
  }
  let parsed: unknown;
  if (text.length > 0 && /json/i.test(res.headers.get('content-type') ?? 'json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
