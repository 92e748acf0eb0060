/**
 * The one list of paths pino censors. Anything token-shaped that might reach a log line is named
 * here, at any nesting depth we log (HA's TO_REDACT, Nango's redactHeaders).
 */
export const REDACT_PATHS: string[] = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'cookie',
  'access_token',
  'refresh_token',
  'accessToken',
  'refreshToken',
  'client_secret',
  'clientSecret',
  'code',
  'state',
  'password',
  'token',
  '*.access_token',
  '*.refresh_token',
  '*.accessToken',
  '*.refreshToken',
  '*.client_secret',
  '*.clientSecret',
  '*.code',
  '*.state',
  '*.password',
  '*.token',
  'query.access_token',
  'query.code',
  'query.state',
  'req.query',
];

/**
 * Keys whose values are secrets at any depth (compared lower-case). `code` and `state` are not
 * here: as nested keys they mostly mean an error code or a job state; their OAuth meanings are
 * covered by REDACT_PATHS and by scrubText for URLs.
 */
const SECRET_KEYS = new Set([
  'access_token',
  'accesstoken',
  'refresh_token',
  'refreshtoken',
  'id_token',
  'idtoken',
  'token',
  'tokens',
  'client_secret',
  'clientsecret',
  'secret',
  'password',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'code_verifier',
  'codeverifier',
  'x-api-key',
]);

const CENSOR = '[redacted]';
const SECRET_PARAMS = 'access_token|refresh_token|id_token|client_secret|code_verifier|code|state|token|password|api_key|apikey';
const URL_PARAM = new RegExp(`([?&;#]|\\b)(${SECRET_PARAMS})=([^&\\s"'#;]+)`, 'gi');
const JSON_FIELD = new RegExp(`"(${SECRET_PARAMS}|accessToken|refreshToken|clientSecret)"\\s*:\\s*"[^"]*"`, 'gi');
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** Secrets inside free text: query parameters, JSON fields and Authorization schemes. */
export function scrubText(text: string): string {
  if (!/[=:]|Bearer|Basic/.test(text)) return text;
  return text
    .replace(URL_PARAM, (_m, sep: string, name: string) => `${sep}${name}=${CENSOR}`)
    .replace(JSON_FIELD, (_m, name: string) => `"${name}":"${CENSOR}"`)
    .replace(AUTH_SCHEME, (_m, scheme: string) => `${scheme} ${CENSOR}`);
}

const MAX_DEPTH = 8;

/**
 * A copy of a log object with secret-named fields censored and every string scrubbed, at any
 * depth. Errors are copied with their message and stack scrubbed. Runs only for lines that are actually written.
 */
export function scrubValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH || seen.has(value)) return '[truncated]';
  seen.add(value);
  if (value instanceof Error) {
    // Same prototype, so pino's error serializer still names its type; scrubbed text.
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error & Record<string, unknown>;
    Object.defineProperty(copy, 'name', { value: value.name, enumerable: false });
    copy.message = scrubText(value.message);
    if (value.stack) copy.stack = scrubText(value.stack);
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') copy['code'] = code;
    if (value.cause !== undefined) copy.cause = scrubValue(value.cause, depth + 1, seen);
    return copy;
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => scrubValue(v, depth + 1, seen));
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) && v !== undefined && v !== null ? CENSOR : scrubValue(v, depth + 1, seen);
  }
  return out;
}
