import { z } from 'zod';

/**
 * How a route is described in the OpenAPI document. Each route module exports its operations next
 * to the routes, built from the very zod schemas the routes validate with (`params`, `query`,
 * `body`) and type their answers with (`responses`), so the document cannot drift from the code:
 * test/http/openapi.integration.test.ts validates real answers against it and fails on a route
 * of the table that no operation describes.
 */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The router's pattern, `:name` parameters included (`/api/users/:id`). */
  path: string;
  summary: string;
  tag: string;
  /** Who may call it (the route's guard): the names of `SECURITY_SCHEMES`, or public. */
  auth: 'admin' | 'app-token' | 'admin-or-user' | 'public' | 'confirmation-token' | 'client-credentials';
  /** Path parameters, for the document only: the handler looks the id up, and an unknown one is a 404. */
  params?: z.ZodObject;
  /** The schema the handler parses the query with. */
  query?: z.ZodObject;
  /** The schema the handler parses the body with. */
  body?: z.ZodType;
  /** `application/x-www-form-urlencoded` instead of JSON (the token endpoint). */
  form?: boolean;
  /** Status → what is answered; `null`: no body (204). */
  responses: Record<number, { description: string; schema: z.ZodType | null }>;
}

/** `{ "error", "message" }`: what every 4xx and 5xx of the API answers (src/runtime/http/render-error.ts). */
export const errorBody = z.object({ error: z.string(), message: z.string() }).loose();

const SECURITY_SCHEMES = {
  adminBearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN, or a named API key (`service-manager api-key create`): a `read` key may only GET.',
  },
  appBearer: { type: 'http', scheme: 'bearer', description: 'An access token issued by /oauth/token to an external system.' },
  userBasic: { type: 'http', scheme: 'basic', description: "The granting user's username and password." },
  clientBasic: { type: 'http', scheme: 'basic', description: 'client_id:client_secret (RFC 6749 §2.3.1); or both in the form.' },
} as const;

const SECURITY: Record<ApiOperation['auth'], Record<string, string[]>[]> = {
  admin: [{ adminBearer: [] }],
  'app-token': [{ appBearer: [] }],
  'admin-or-user': [{ adminBearer: [] }, { userBasic: [] }],
  'client-credentials': [{ clientBasic: [] }, {}],
  // The link's own token, in the query: described as a parameter, not a scheme.
  'confirmation-token': [],
  public: [],
};

// The formats JSON Schema 2020-12 defines. zod also writes its own names (`starts_with`, `includes`,
// …) next to the `pattern` that states the same rule; validators reject or ignore those, so they go.
const STANDARD_FORMATS = new Set([
  'date-time', 'date', 'time', 'duration', 'email', 'idn-email', 'hostname', 'idn-hostname', 'ipv4', 'ipv6',
  'uri', 'uri-reference', 'iri', 'iri-reference', 'uuid', 'uri-template', 'json-pointer', 'relative-json-pointer', 'regex',
]);

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.format === 'string' && !STANDARD_FORMATS.has(jsonSchema.format)) delete jsonSchema.format;
    },
  }) as Record<string, unknown>;
  return rest;
};

/** `/api/users/:id` → `/api/users/{id}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(op: ApiOperation): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const names = [...op.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');
  const params = op.params?.shape ?? {};
  for (const name of names) {
    const schema = params[name] as z.ZodType | undefined;
    out.push({ name, in: 'path', required: true, schema: schema ? toSchema(schema, 'input') : { type: 'string' } });
  }
  if (op.query) {
    const query = toSchema(op.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      out.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
    }
  }
  return out;
}

function operation(op: ApiOperation): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  const error = { content: { 'application/json': { schema: toSchema(errorBody, 'output') } } };
  for (const [status, r] of Object.entries(op.responses)) {
    const content = r.schema !== null ? { content: { 'application/json': { schema: toSchema(r.schema, 'output') } } } : Number(status) >= 400 ? error : {};
    responses[status] = { description: r.description, ...content };
  }
  if (op.auth !== 'public') responses['401'] ??= { description: 'Missing or invalid credentials.', ...error };
  if (op.auth === 'admin') responses['403'] ??= { description: 'A read-only API key, on a write.', ...error };
  if (op.params || op.query || op.body) responses['400'] ??= { description: 'Invalid input: names the fields.', ...error };
  responses['503'] ??= { description: 'A dependency is unavailable; Retry-After says when to come back.', ...error };
  const params = parameters(op);
  return {
    summary: op.summary,
    tags: [op.tag],
    operationId: `${op.method}${openApiPath(op.path).replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    security: SECURITY[op.auth],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { [op.form ? 'application/x-www-form-urlencoded' : 'application/json']: { schema: toSchema(op.body, 'input') } } } }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of `operations` (JSON Schema 2020-12 is its schema dialect). */
export function openApiDocument(operations: readonly ApiOperation[], info: { title: string; version: string; serverUrl: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = (paths[openApiPath(op.path)] ??= {});
    if (path[op.method]) throw new Error(`two operations describe ${op.method.toUpperCase()} ${op.path}`);
    path[op.method] = operation(op);
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.serverUrl }],
    paths,
    components: { securitySchemes: SECURITY_SCHEMES },
  };
}
