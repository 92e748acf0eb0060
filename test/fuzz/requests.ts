import fc from 'fast-check';

/**
 * Generators of malformed requests against the host's real routes. Every request they produce is
 * wrong in some way the host must refuse (bad or missing credentials, unknown ids, broken bodies),
 * so none of them may change state: a well-formed request with real credentials is never built.
 */

export interface FuzzTargets {
  adminToken: string;
  /** Linked installations: their ids, own tokens and webhook callback tokens. */
  installations: ReadonlyArray<{ id: string; connector: string; accessToken: string; callbackToken: string | undefined; deviceId: string | undefined }>;
}

export interface FuzzRequest {
  method: string;
  /** Already encoded for the request line (may hold deliberately broken %-escapes). */
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** What the generator aimed at, for the report when something fails. */
  label: string;
}

const PRINTABLE = fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~'.split(''));
const asciiText = (max = 40) => fc.string({ unit: PRINTABLE, maxLength: max });
const unicodeText = (max = 40) => fc.string({ unit: 'grapheme', maxLength: max });
const anyText = (max = 40) => fc.oneof(asciiText(max), unicodeText(max), fc.string({ unit: 'binary', maxLength: max }));

/** A path segment: encoded text, or raw escapes that do not decode (URIError bait). */
const garbageSegment = fc.oneof(
  anyText(30).map((s) => encodeURIComponent(s)),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%80', '%FF%FE', '..', '.', '%2e%2e', '%00', '%2F', 'con', '__proto__', 'constructor', '🙂'.replace(/./gu, encodeURIComponent)),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid(),
);

const query = fc.oneof(
  fc.constant(''),
  fc.dictionary(anyText(12), anyText(60), { maxKeys: 5 }).map((d) => `?${new URLSearchParams(d).toString()}`),
  fc.constantFrom('?', '?&&==', '?%', '?a=%E0%A4%A', '?access_token=', '?access_token[]=x&access_token[]=y', '?appId[a]=1', '?state=%00', '?code=' + 'x'.repeat(5000)),
  fc.tuple(anyText(20), asciiText(40)).map(([k, v]) => `?${encodeURIComponent(k)}=${v.replace(/[#\s]/g, '')}`),
);

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/vnd.api+json'];
const contentType = fc.oneof(
  fc.constantFrom(...JSON_TYPES, 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/html', 'application/xml', '', 'application/json; charset=utf-16', '*/*', ';;;', 'application/json; charset=nope'),
  asciiText(30),
);

/** Bodies that are not valid JSON, or are JSON of the wrong shape; never a well-formed request. */
const brokenJson = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', '{"a":1}}', 'nul', 'undefined', 'NaN', "{'a':1}", '{"a":1,}', '\u0000', '\uFEFF{"a":1', '"unterminated'),
  anyText(200).filter((s) => !isJson(s)),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => '['.repeat(n)),
  fc.integer({ min: 100, max: 5_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n - 1)}`),
);
const wrongShapeJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({ connector: fc.oneof(fc.constantFrom('', 'nope', 'ACME', ' acme'), fc.integer()), locationId: fc.oneof(fc.string(), fc.constant(null)) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ devices: fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 5 }), fc.constant(null)) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ command: fc.oneof(fc.string(), fc.integer()), arguments: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
);
const hugeBody = fc.constantFrom(257 * 1024, 300 * 1024, 1_100 * 1024).map((n) => `{"pad":"${'x'.repeat(n)}"}`);
const formBody = fc.dictionary(anyText(10), anyText(40), { maxKeys: 6 }).map((d) => new URLSearchParams(d).toString());
const binaryBody = fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b));

const bodyOf = (allowWellFormedJson: boolean) =>
  fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 2 },
    { arbitrary: brokenJson.map((s) => Buffer.from(s)), weight: 4 },
    { arbitrary: (allowWellFormedJson ? wrongShapeJson : brokenJson).map((s) => Buffer.from(s)), weight: 3 },
    { arbitrary: hugeBody.map((s) => Buffer.from(s)), weight: 1 },
    { arbitrary: formBody.map((s) => Buffer.from(s)), weight: 1 },
    { arbitrary: binaryBody, weight: 1 },
  );

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'BREW'];
const method = fc.constantFrom(...METHODS);

/** Everything a caller could put in Authorization except the right admin token. */
const badAuthorization = (adminToken: string) =>
  fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `bearer ${adminToken}x`, `Bearer ${adminToken.slice(0, -1)}`, `Bearer  ${adminToken} extra`, `Token ${adminToken}`),
    asciiText(60).map((s) => `Bearer ${s.replace(/\s/g, '')}`),
    fc.constant(`Bearer ${'A'.repeat(8_000)}`),
  );

const extraHeaders = fc.record(
  {
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'text/html;q=0, application/json;q=0', 'image/png', ';;', ''),
    cookie: fc.oneof(asciiText(80).map((s) => s.replace(/[;\s]/g, '')), fc.constantFrom('sm_oauth_nonce=', 'sm_oauth_nonce=%E0%A4%A', 'a=b; a=c', '=;=')).map((s) => s || 'x=y'),
    'x-request-id': fc.oneof(asciiText(80), fc.constant('x'.repeat(70))),
    'x-netatmo-secret': fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), asciiText(70)),
    'x-forwarded-for': asciiText(40),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*;q=0', 'x'),
  },
  { requiredKeys: [] },
);

function headerSafe(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  // Node refuses to send control characters in header values; the raw-socket fuzz covers those.
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v.replace(/[\u0000-\u001f\u007f]/g, '');
  return out;
}

export function requestArbitrary(t: FuzzTargets): fc.Arbitrary<FuzzRequest> {
  const realInstallation = fc.constantFrom(...t.installations);
  const connector = fc.oneof(fc.constantFrom('acme', 'netatmo'), garbageSegment);
  const fakeId = fc.oneof(fc.uuid({ version: 4 }), garbageSegment);
  const anyId = fc.oneof(fakeId, realInstallation.map((i) => i.id));
  const badToken = fc.oneof(
    fc.constant(undefined),
    fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    realInstallation.map((i) => `${i.accessToken}x`),
    realInstallation.map((i) => i.accessToken.toUpperCase()),
    anyText(80),
  );
  const withToken = (token: string | undefined, extra: string) => {
    const params = new URLSearchParams();
    if (token !== undefined) params.set('access_token', token);
    return `${params.toString() ? `?${params.toString()}` : ''}${extra ? `${params.toString() ? '&' : '?'}${extra.replace(/^\?/, '')}` : ''}`;
  };
  const common = { headers: extraHeaders, ctype: contentType };
  const build = (label: string, m: string, path: string, headers: Record<string, string | undefined>, body: Buffer | undefined): FuzzRequest => ({
    label,
    method: m,
    path,
    headers: headerSafe(headers),
    body: m === 'GET' || m === 'HEAD' ? undefined : body,
  });

  const health = fc
    .record({ m: method, p: fc.constantFrom('/healthz', '/readyz', '/metrics', '/healthz/', '/METRICS', '/metrics.json', '/readyz;x'), q: query, ...common, body: bodyOf(true) })
    .map((r) => build('health', r.m, `${r.p}${r.q}`, { ...r.headers, 'content-type': r.ctype }, r.body));

  // Linking pages: never the installation's real token on initialize (it would mint a state) or on
  // the selection form (it would save one); GET setup may carry it with garbage around it.
  const linking = fc
    .record({
      m: method,
      c: connector,
      page: fc.constantFrom('setup', 'oauth/initialize', 'oauth/callback', 'oauth', 'setup/x', 'oauth/callback/'),
      appId: anyId,
      token: badToken,
      useRealToken: fc.boolean(),
      inst: realInstallation,
      q: query,
      state: fc.oneof(fc.uuid({ version: 4 }), anyText(50), fc.constant('')),
      code: fc.oneof(anyText(50), fc.constant(undefined)),
      error: fc.oneof(fc.constantFrom('access_denied', 'server_error', '<script>alert(1)</script>'), fc.constant(undefined)),
      ...common,
      body: bodyOf(true),
    })
    .map((r) => {
      const realOk = r.useRealToken && r.m === 'GET' && r.page === 'setup';
      const token = realOk ? r.inst.accessToken : r.token;
      const appId = realOk ? r.inst.id : r.appId;
      const extra = new URLSearchParams();
      extra.set('appId', appId);
      if (r.page.startsWith('oauth/callback')) {
        extra.set('state', r.state);
        if (r.code !== undefined) extra.set('code', r.code);
        if (r.error !== undefined) extra.set('error', r.error);
      }
      const q = `${withToken(token, extra.toString())}${r.q ? `&${r.q.slice(1)}` : ''}`;
      const body = r.m === 'POST' && r.page === 'setup' ? Buffer.from(new URLSearchParams({ appId, access_token: r.token ?? '', devices: 'x' }).toString()) : r.body;
      return build(`linking ${r.page}`, r.m, `/connectors/${realOk ? r.inst.connector : r.c}/${r.page}${q}`, { ...r.headers, 'content-type': r.ctype }, body);
    });

  // Webhooks: the real callback token only with bodies that cannot be accepted (not JSON, too big,
  // or a content type the endpoint refuses); anything goes with a wrong token.
  const webhooks = fc
    .record({
      m: fc.oneof({ arbitrary: fc.constant('POST'), weight: 4 }, { arbitrary: method, weight: 1 }),
      c: connector,
      id: anyId,
      inst: realInstallation,
      useReal: fc.boolean(),
      token: badToken,
      q: query,
      ...common,
      bad: fc.oneof(brokenJson.map((s) => Buffer.from(s)), hugeBody.map((s) => Buffer.from(s)), binaryBody.filter((b) => !isJson(b.toString('utf8')))),
      body: bodyOf(true),
    })
    .map((r) => {
      const real = r.useReal && r.inst.callbackToken !== undefined;
      const path = real
        ? `/connectors/${r.inst.connector}/webhooks/${r.inst.id}${withToken(r.inst.callbackToken, r.q.slice(1))}`
        : `/connectors/${r.c}/webhooks/${r.id}${withToken(r.token, r.q.slice(1))}`;
      return build(real ? 'webhook real token' : 'webhook', r.m, path, { ...r.headers, 'content-type': r.ctype }, real ? r.bad : r.body);
    });

  const API_PATHS = [
    '/api/installations',
    '/api/installations/:id',
    '/api/installations/:id/discovered',
    '/api/installations/:id/settings',
    '/api/installations/:id/devices',
    '/api/installations/:id/devices/:device',
    '/api/installations/:id/devices/:device/commands',
    '/api/installations/:id/poll',
    '/api/installations/:id/webhooks',
    '/api/installations/:id/webhooks/failed',
    '/api/installations/:id/webhooks/rotate',
    '/api/installations/:id/events',
    '/api/events',
    '/api',
    '/api/',
    '/api/nope',
  ];
  // The admin API: with a wrong or missing token, anything; with the right one, only what must be
  // refused (unknown ids, broken bodies), or reads.
  const api = fc
    .record({
      m: method,
      template: fc.constantFrom(...API_PATHS),
      inst: realInstallation,
      fakeId,
      fakeDevice: garbageSegment,
      admin: fc.boolean(),
      auth: badAuthorization(t.adminToken),
      q: fc.oneof(query, fc.constantFrom('?after=', '?after=abc', '?after=-1-1', '?limit=-5', '?limit=1e9', '?limit=abc', '?after=99999999999999-0&limit=0', '?locationId=%E0%A4%A')),
      ...common,
      body: bodyOf(true),
      broken: brokenJson.map((s) => Buffer.from(s)),
    })
    .map((r) => {
      const read = r.m === 'GET' || r.m === 'HEAD' || r.m === 'OPTIONS';
      // The right token on a write only ever goes with unknown ids and an unparseable JSON body.
      const useReal = r.admin ? read : true;
      const id = useReal ? r.inst.id : r.fakeId;
      const device = useReal && r.inst.deviceId && read ? r.inst.deviceId : r.fakeDevice;
      const path = r.template.replace(':id', id).replace(':device', device) + r.q;
      const authorization = r.admin ? `Bearer ${t.adminToken}` : r.auth;
      const writeWithAdmin = r.admin && !read;
      const headers = { ...r.headers, 'content-type': writeWithAdmin ? 'application/json' : r.ctype, authorization };
      return build(r.admin ? 'api admin' : 'api no-admin', r.m, path, headers, writeWithAdmin ? r.broken : r.body);
    });

  // Operator pages (never with the admin token: the dashboard's actions are real writes).
  const operator = fc
    .record({
      m: method,
      p: fc.constantFrom('/admin', '/admin/login', '/admin/logout', '/admin/queues', '/admin/queues/api/queues', '/admin/queues/api/queues/poll/retry/failed', '/admin/queues/static/x.js'),
      q: query,
      auth: badAuthorization(t.adminToken),
      ...common,
      body: bodyOf(true),
    })
    .map((r) => build('operator', r.m, `${r.p}${r.q}`, { ...r.headers, 'content-type': r.ctype, authorization: r.auth }, r.body));

  // Paths near the real ones: extra, missing or broken segments.
  const near = fc
    .record({
      m: method,
      segs: fc.array(fc.oneof(fc.constantFrom('connectors', 'acme', 'netatmo', 'webhooks', 'oauth', 'setup', 'api', 'installations', 'events', 'metrics', 'admin'), garbageSegment), { minLength: 1, maxLength: 7 }),
      trailing: fc.boolean(),
      q: query,
      auth: badAuthorization(t.adminToken),
      ...common,
      body: bodyOf(true),
    })
    .map((r) => build('near path', r.m, `/${r.segs.join('/')}${r.trailing ? '/' : ''}${r.q}`, { ...r.headers, 'content-type': r.ctype, authorization: r.auth }, r.body));

  return fc.oneof(
    { arbitrary: health, weight: 1 },
    { arbitrary: linking, weight: 3 },
    { arbitrary: webhooks, weight: 4 },
    { arbitrary: api, weight: 4 },
    { arbitrary: operator, weight: 1 },
    { arbitrary: near, weight: 2 },
  );
}

/** Byte-level garbage for a raw socket: broken request lines, headers and framing. */
export const RAW_REQUESTS: readonly string[] = [
  'GET\r\n\r\n',
  'GET / HTTP/9.9\r\n\r\n',
  'GARBAGE\r\n\r\n',
  '\u0000\u0001\u0002\r\n\r\n',
  'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
  'GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n',
  'POST /connectors/netatmo/webhooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{"a":',
  'POST /connectors/netatmo/webhooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST /connectors/netatmo/webhooks/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}',
  'POST /api/installations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
  'POST /api/installations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
  `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
  'GET /connectors/%E0%A4%A/setup HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n',
  'CONNECT 127.0.0.1:6379 HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /healthz HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
];
