import { AuthorizationCode } from 'simple-oauth2';
import type { Redis } from 'ioredis';
import type { ConnectorCredentials, Keys, Logger } from '../runtime';
import { matchesResponse, RFC6749_REFRESH_REFUSED, type OAuthProvider } from '../connectors';
import { cloudUnavailable, reauthRequired } from './errors';
import { describeTokenEndpointFailure } from './oauth-failure';
import { toModuleOptions } from './provider-options';
import { parseTokenResponse } from './token-response';
import type { TokenSet, ProviderTokenStore } from './provider-token-store';
import { refreshKeys, type RefreshKeys } from './refresh-keys';
import { tryAcquire } from '../runtime';
import { refreshBackoffMs } from './token-expiry';


export class RefreshRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`the provider refused the refresh (${reason})`);
    this.name = 'RefreshRefusedError';
  }
}

export interface RefreshTarget {
  installationId: string;
  provider: OAuthProvider;
  credentials: ConnectorCredentials;
}

export interface RefreshOptions {
  timeoutMs: number;
  /** Lock lifetime: longer than the worst refresh (all attempts), so it only expires when the holder died. */
  lockTtlMs: number;
  attempts: number;
  /** How often a waiter looks for the holder's result. */
  waitPollMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One request to the provider's token endpoint with simple-oauth2; never trusts it to keep the refresh token. */
export async function refreshAtProvider(target: RefreshTarget, tokens: TokenSet, timeoutMs: number, now: () => number): Promise<TokenSet> {
  const refreshToken = tokens.refreshToken;
  if (refreshToken === undefined) throw new RefreshRefusedError('no refresh token stored');
  const extra = target.provider.refreshParams ?? {};
  const query = {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: target.credentials.clientId,
    ...extra,
  };
  const client = new AuthorizationCode(toModuleOptions(target.provider, target.credentials, query));
  const current = client.createToken({ access_token: tokens.accessToken, refresh_token: refreshToken });
  try {
    const next = await current.refresh(extra, { timeout: timeoutMs });
    return parseTokenResponse(next.token, now(), tokens);
  } catch (err) {
    if (err instanceof Error && err.name === 'InvalidTokenResponseError') throw cloudUnavailable('token refresh answered without tokens', err);
    const failure = describeTokenEndpointFailure(err);
    // The provider's own refusal shapes (data on the provider), RFC 6749's by default.
    if (failure.status !== undefined && matchesResponse(target.provider.refreshRefused ?? RFC6749_REFRESH_REFUSED, failure.status, failure.body)) {
      throw new RefreshRefusedError(failure.summary);
    }
    throw cloudUnavailable(`token refresh failed: ${failure.summary}`, err);
  }
}

/**
 * Runs at most one refresh per installation across every process: callers in this process share
 * one promise; across processes a Redis lock (owner-checked release, TTL for crashed holders)
 * elects one refresher and the rest wait for its result. The holder re-reads the tokens after
 * taking the lock and persists the new pair with compare-and-set on the value it read (the fence):
 * a holder whose lock expired can never overwrite a newer pair.
 */
export class RefreshCoordinator {
  private readonly inflight = new Map<string, Promise<TokenSet>>();
  private readonly lockKeys: RefreshKeys;

  constructor(
    private readonly deps: {
      redis: Redis;
      keys: Keys;
      tokens: ProviderTokenStore;
      log: Logger;
      now: () => number;
      options: RefreshOptions;
      onRefused: (installationId: string, reason: string, refusedTokens: string) => Promise<void>;
      /** Counts refresh outcomes for metrics and tests. */
      onOutcome?: (outcome: 'refreshed' | 'reused' | 'refused' | 'failed') => void;
    },
  ) {
    this.lockKeys = refreshKeys(deps.keys);
  }

  /** New tokens to replace `staleAccessToken`: someone else's fresh ones, or ours. */
  refresh(target: RefreshTarget, staleAccessToken: string): Promise<TokenSet> {
    const running = this.inflight.get(target.installationId);
    if (running) return running;
    const promise = this.run(target, staleAccessToken).finally(() => this.inflight.delete(target.installationId));
    this.inflight.set(target.installationId, promise);
    return promise;
  }

  private async run(target: RefreshTarget, stale: string): Promise<TokenSet> {
    const { tokens, redis, options, now } = this.deps;
    const id = target.installationId;
    const deadline = now() + options.lockTtlMs * 2;
    for (;;) {
      const seen = await tokens.get(id);
      if (!seen) throw reauthRequired('no tokens are stored for this installation');
      if (seen.tokens.accessToken !== stale) {
        this.deps.onOutcome?.('reused');
        return seen.tokens;
      }
      const lock = await tryAcquire(redis, this.lockKeys.refreshLock(id), options.lockTtlMs);
      if (lock) {
        try {
          return await this.refreshHoldingLock(target, stale);
        } finally {
          await lock.release();
        }
      }
      if (now() > deadline) throw cloudUnavailable('timed out waiting for another process to refresh the token');
      await sleep(options.waitPollMs);
    }
  }

  private async refreshHoldingLock(target: RefreshTarget, stale: string): Promise<TokenSet> {
    const { tokens, options, log, now } = this.deps;
    const id = target.installationId;
    // Re-read under the lock: another process may have refreshed between our read and the lock.
    const current = await tokens.get(id);
    if (!current) throw reauthRequired('no tokens are stored for this installation');
    if (current.tokens.accessToken !== stale) {
      this.deps.onOutcome?.('reused');
      return current.tokens;
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= options.attempts; attempt++) {
      try {
        const next = await refreshAtProvider(target, current.tokens, options.timeoutMs, now);
        if (await tokens.compareAndSet(id, current.sealed, next)) {
          this.deps.onOutcome?.('refreshed');
          log.info({ installationId: id, attempt }, 'token refreshed');
          return next;
        }
        // Fenced out: a newer pair was written while we worked (our lock had expired). Use it.
        const latest = await tokens.get(id);
        if (!latest) throw reauthRequired('the installation was unlinked during refresh');
        this.deps.onOutcome?.('reused');
        return latest.tokens;
      } catch (err) {
        if (err instanceof RefreshRefusedError) {
          // Believe a refusal only if the refresh token we presented is still the stored one.
          const latest = await tokens.get(id);
          if (latest && latest.sealed !== current.sealed) return latest.tokens;
          this.deps.onOutcome?.('refused');
          log.warn({ installationId: id, reason: err.reason }, 'token refresh refused');
          await this.deps.onRefused(id, err.reason, current.sealed);
          throw reauthRequired('the provider no longer accepts this account link; the user must reconnect');
        }
        lastError = err;
        log.warn({ installationId: id, attempt, reason: (err as Error).message }, 'token refresh failed, will retry');
        if (attempt < options.attempts) await sleep(refreshBackoffMs(attempt));
      }
    }
    this.deps.onOutcome?.('failed');
    throw lastError instanceof Error ? lastError : cloudUnavailable('token refresh failed');
  }

  /** Uninstall: a refresh lock left by a crashed holder would otherwise outlive the installation. */
  async forgetLock(installationId: string): Promise<void> {
    await this.deps.redis.del(this.lockKeys.refreshLock(installationId));
  }
}
