import { z } from 'zod';
import type { Classification, CloudResponse, RateLimit } from './cloud-types';
import { responseMatchSchema, type ResponseMatch } from './response-match';
import type { DeviceContext } from './device-types';
import type { CommandDefinition, ConnectorContext, DiscoveredDevice, PollDefinition, WebhookDefinition } from './context';
import { oauthProviderSchema, type OAuthProvider } from './provider';

export interface ApiKeyPlacement {
  in: 'query' | 'header';
  name: string;
  from: 'clientId' | 'clientSecret';
}

/** What a connector's fake cloud offers the demo: where it listens and the client id it accepts. */
export interface RunningFake {
  url: string;
  clientId: string;
  clientSecret?: string;
  /** Shown on the console in demo mode so a person can sign in at the fake. */
  loginHint?: string;
  stop(): Promise<void>;
}

export interface ConnectorDefinition {
  /** URL segment and folder name: lower-case letters, digits and dashes. */
  name: string;
  title: string;
  /** At most one installation of this connector per location; all devices live under it. */
  singleInstance: boolean;
  /** Environment prefix: `${envPrefix}_CLIENT_ID`, `_CLIENT_SECRET`, `_API_URL`. Defaults to NAME upper-cased. */
  envPrefix?: string;
  defaultApiUrl: string;
  provider: OAuthProvider;
  /**
   * What a cloud answer means. Default: 401 → token_expired, 429 → rate_limited, 5xx → retry,
   * other 4xx → fatal.
   * Clouds that signal expiry differently (ecobee: status.code 14 in a 500) declare it here.
   */
  classify?: (response: CloudResponse) => Classification;
  /**
   * API answers that mean the access token expired (refresh once, replay), checked before
   * `classify`. Default RFC6750_TOKEN_EXPIRED (any 401), which `classify`'s default also says.
   * Honeywell adds Apigee's `fault.detail.errorcode` bodies, for instance.
   */
  tokenExpired?: readonly ResponseMatch[];
  /**
   * A client credential the cloud wants on every API call besides the bearer token, as data:
   * `{ in: 'query', name: 'apikey', from: 'clientId' }` (Honeywell). Never logged.
   */
  apiKey?: ApiKeyPlacement;
  /** Open requests allowed per account at once, across every worker (ecobee: no more than 2–3). Default 4. */
  maxConcurrentRequests?: number;
  /** The cloud's published quotas; every worker draws from one budget per account or per application. */
  rateLimits?: readonly RateLimit[];
  /**
   * Whose calls a `rate_limited` answer pauses until its Retry-After: the account's (default) or the
   * whole application's (a cloud whose 429 means the client id's quota).
   */
  rateLimitedPauses?: 'account' | 'application';
  /** Refresh this long before the token's stated expiry. Default 120 s. */
  refreshMarginMs?: number;
  /**
   * The schema of the per-device context (DeviceContext) this connector reports with its devices
   * and gets back on poll (`ctx.contexts`) and command (`target.context`). A device reported with
   * a context that fails it is a connector error (502), never stored.
   */
  deviceContext?: z.ZodType<DeviceContext>;
  /** Lists the account's devices, for the user to choose from. */
  discover: (ctx: ConnectorContext) => Promise<DiscoveredDevice[]>;
  /** Fetches device state; may answer "unchanged" cheaply when the cloud offers change markers. */
  poll: PollDefinition;
  /** Commands by name, e.g. setHeatingSetpoint. */
  commands: Record<string, CommandDefinition>;
  /** Push callbacks from the cloud, when it offers them. */
  webhook?: WebhookDefinition;
  /** Starts the connector's fake cloud for the demo. */
  startFake?: () => Promise<RunningFake>;
}

const definitionSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes'),
  title: z.string().min(1),
  singleInstance: z.boolean(),
  envPrefix: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/)
    .optional(),
  defaultApiUrl: z.string().url(),
  provider: oauthProviderSchema,
  classify: z.function().optional(),
  tokenExpired: z.array(responseMatchSchema).optional(),
  apiKey: z.object({ in: z.enum(['query', 'header']), name: z.string().regex(/^[A-Za-z0-9_-]+$/), from: z.enum(['clientId', 'clientSecret']) }).optional(),
  maxConcurrentRequests: z.number().int().min(1).max(100).optional(),
  rateLimits: z
    .array(z.object({ per: z.enum(['account', 'application']), requests: z.number().int().min(1), windowMs: z.number().int().min(100) }))
    .optional(),
  rateLimitedPauses: z.enum(['account', 'application']).optional(),
  refreshMarginMs: z.number().int().min(0).optional(),
  deviceContext: z.custom<z.ZodType>((v) => v instanceof z.ZodType).optional(),
  discover: z.function(),
  poll: z.object({ intervalMs: z.number().int().min(1000), run: z.function() }),
  commands: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]*$/), z.object({ input: z.custom<object>((v) => typeof v === 'object' && v !== null), run: z.function() })),
  webhook: z
    .object({
      ackStatus: z.number().int().min(200).max(299).optional(),
      onBadSignature: z.enum(['reject', 'acknowledge']).optional(),
      maxBodyBytes: z.number().int().min(1024).max(10 * 1024 * 1024).optional(),
      dedupWindowMs: z.number().int().min(1000).optional(),
      verify: z.function().optional(),
      accountId: z.function().optional(),
      subscribe: z.function(),
      unsubscribe: z.function(),
      parse: z.function(),
    })
    .optional(),
  startFake: z.function().optional(),
});

/** A loaded, validated connector. */
export interface Connector extends ConnectorDefinition {
  envPrefix: string;
}

export function defineConnector<const T extends ConnectorDefinition>(definition: T): T {
  return definition;
}

/** Throws a readable message naming each bad field. */
export function validateDefinition(value: unknown): Connector {
  const parsed = definitionSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(definition)'}: ${i.message}`);
    throw new Error(problems.join('; '));
  }
  const definition = value as ConnectorDefinition;
  return { ...definition, envPrefix: definition.envPrefix ?? definition.name.toUpperCase().replace(/-/g, '_') };
}
