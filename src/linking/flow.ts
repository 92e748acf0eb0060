import { randomUUID } from 'node:crypto';
import { AppError, type EnabledConnector, hashToken, pollIntervalMs, randomToken } from '../runtime';
import type { Installation } from '../platform';
import { buildAuthorizeUrl, exchangeCode } from './exchange';
import { describeTokenEndpointFailure } from '../cloud';
import { createPkcePair } from './pkce';
import { checkState, isWellFormedState, type OAuthStateRecord } from './state';
import { callbackUrl, setupUrl } from './urls';
import { trySubscribe } from '../ingest';
import type { Cloud } from '../cloud';
import type { Ingest } from '../ingest';
import type { Platform } from '../platform';
import type { Base } from '../runtime';
import type { Sync } from '../sync';
import type { Linking } from './build';

/** The parts of the process this module uses. */
type Deps = Pick<Base, 'config' | 'connectors' | 'keys' | 'log' | 'metrics' | 'now' | 'redis'> &
  Pick<Cloud, 'clients' | 'tokens'> &
  Pick<Ingest, 'callbackTokens'> &
  Pick<Linking, 'states'> &
  Pick<Platform, 'devices' | 'events' | 'installations'> &
  Pick<Sync, 'scheduler'>;

const NONCE = /^[A-Za-z0-9_-]{43}$/;

/** The browser's nonce from its cookie when it is one we could have issued, else undefined. */
export function validBrowserNonce(cookie: string | undefined): string | undefined {
  return cookie !== undefined && NONCE.test(cookie) ? cookie : undefined;
}

/** One nonce per browser, reused across tabs, so starting a second flow does not break the first. */
export function browserNonceFor(cookie: string | undefined): string {
  return validBrowserNonce(cookie) ?? randomToken();
}

export function enabledConnector(services: Deps, name: string): EnabledConnector {
  const connector = services.connectors.get(name);
  if (!connector) throw new AppError('unknown_connector');
  return connector;
}

/**
 * initialize: for an installation that proved itself with its own token (authenticateInstallation,
 * which the route runs on every path in), remember a fresh, single-use state bound to it, to this
 * connector and to this browser (through a nonce cookie), and send the browser to the provider.
 */
export async function startLinking(
  services: Deps,
  input: { connector: EnabledConnector; installation: Installation; setupToken: string; browserNonce: string | undefined },
): Promise<{ authorizeUrl: string; browserNonce: string }> {
  const { connector, installation } = input;
  const browserNonce = browserNonceFor(input.browserNonce);
  const state = randomUUID();
  const pkce = connector.definition.provider.pkce ? createPkcePair() : undefined;
  const now = services.now();
  await services.states.save(state, {
    installationId: installation.id,
    connector: connector.definition.name,
    browserHash: hashToken(browserNonce),
    codeVerifier: pkce?.verifier,
    setupToken: input.setupToken,
    createdAt: now,
    expiresAt: now + services.config.stateTtlS * 1000,
  });
  const authorizeUrl = buildAuthorizeUrl(connector.definition.provider, connector.credentials, {
    redirectUri: callbackUrl(services.config.publicUrl, connector.definition.name),
    state,
    codeChallenge: pkce?.challenge,
  });
  return { authorizeUrl, browserNonce };
}

/**
 * A callback that failed after its state was accepted: the installation it was for is known, so
 * the error page can say what the failure did to the link (nothing) and lead back to setup.
 */
export class LinkingFailed extends AppError {
  constructor(
    cause: AppError,
    readonly installationId: string,
    readonly setupToken: string | undefined,
  ) {
    super(cause.code, { message: cause.message, cause: cause.cause ?? cause });
  }
}

export interface CallbackQuery {
  code: unknown;
  state: unknown;
  error: unknown;
}

/**
 * callback: consume the state (atomically, so a replay fails), check it, then exchange the code.
 * Any failure leaves the installation and its stored tokens exactly as they were.
 */
export async function completeLinking(
  services: Deps,
  input: { connector: string; query: CallbackQuery; browserNonce: string | undefined },
): Promise<{ installation: Installation; setupUrl: string | undefined }> {
  const connector = enabledConnector(services, input.connector);
  const { query } = input;
  if (!isWellFormedState(query.state)) throw new AppError('invalid_state');
  const record = await services.states.consume(query.state);
  const check = checkState(record, {
    connector: connector.definition.name,
    browserNonce: input.browserNonce,
    now: services.now(),
  });
  if (!check.ok) {
    const usedFor = record === undefined ? await services.states.usedFor(query.state) : undefined;
    if (usedFor !== undefined) {
      throw new LinkingFailed(new AppError('invalid_state', { message: 'This sign-in link was already used.' }), usedFor.installationId, usedFor.setupToken);
    }
    throw new AppError(check.code);
  }
  try {
    return await exchangeAndLink(services, connector, query, check.record);
  } catch (err) {
    if (err instanceof AppError && !(err instanceof LinkingFailed) && err.status < 500) {
      throw new LinkingFailed(err, check.record.installationId, check.record.setupToken);
    }
    throw err;
  }
}

async function exchangeAndLink(
  services: Deps,
  connector: EnabledConnector,
  query: CallbackQuery,
  record: OAuthStateRecord,
): Promise<{ installation: Installation; setupUrl: string | undefined }> {
  if (query.error !== undefined) {
    throw new AppError(query.error === 'access_denied' ? 'access_denied' : 'provider_error');
  }
  if (typeof query.code !== 'string' || query.code.length === 0 || query.code.length > 4096) {
    throw new AppError('missing_code');
  }
  const installation = await services.installations.get(record.installationId);
  if (!installation || installation.connector !== connector.definition.name) throw new AppError('invalid_state');

  const log = services.log.child({ connector: connector.definition.name, installationId: installation.id });
  let tokens;
  try {
    tokens = await exchangeCode(connector.definition.provider, connector.credentials, {
      code: query.code,
      redirectUri: callbackUrl(services.config.publicUrl, connector.definition.name),
      codeVerifier: record.codeVerifier,
      timeoutMs: services.config.httpTimeoutMs,
      now: services.now,
    });
  } catch (err) {
    log.warn({ reason: describeTokenEndpointFailure(err).summary }, 'code exchange failed');
    throw new AppError('token_exchange_failed', { cause: err });
  }
  await services.tokens.put(installation.id, tokens);
  const stillThere = await services.installations.setStatus(installation.id, 'linked', new Date(services.now()));
  if (!stillThere) {
    // Uninstalled while the user was at the provider: keep nothing.
    await services.tokens.delete(installation.id);
    throw new AppError('invalid_state');
  }
  await services.events.append([{ type: 'installation.linked', installationId: installation.id, data: { connector: installation.connector } }]);
  services.metrics.healthTransitions.inc({ connector: installation.connector, state: 'linked' });
  await services.scheduler.schedule(installation.id, pollIntervalMs(services, connector), installation.connector);
  if (connector.definition.webhook) await trySubscribe(services, installation.id);
  await services.scheduler.pollNow(installation.id, 'catch-up', 0, installation.connector);
  log.info('installation linked');
  const linked = (await services.installations.get(installation.id)) ?? installation;
  const back = record.setupToken
    ? setupUrl(services.config.publicUrl, connector.definition.name, installation.id, record.setupToken)
    : undefined;
  return { installation: linked, setupUrl: back };
}
