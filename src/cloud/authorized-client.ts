import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChainableCommander } from 'ioredis';
import { AppError } from '../runtime';
import type { EnabledConnector, Logger, PipelineReplies } from '../runtime';
import { cloudError, cloudUnavailable, reauthRequired } from './errors';
import type { ProviderTokenStore, StoredTokens } from './provider-token-store';
import type { RefreshCoordinator } from './refresh';
import { Semaphore } from './semaphore';
import { send } from './send';
import type { RateGate } from './rate-gate';
import { retryAfterMs } from './retry-after';
import { needsProactiveRefresh } from './token-expiry';
import { type CloudHttp, type CloudRequest, type CloudResponse } from '../connectors';
import { classifierFor, withApiKey } from './call-quirks';

export const DEFAULT_MAX_CONCURRENT_REQUESTS = 4;

export interface AuthorizedClientDeps {
  tokens: ProviderTokenStore;
  refresher: RefreshCoordinator;
  log: Logger;
  now: () => number;
  timeoutMs: number;
  onReauthRequired: (installationId: string, reason: string) => Promise<void>;
  onCall?: (connector: string, outcome: string) => void;
  /** The cloud's limits shared by every worker; without it, only this process's concurrency cap. */
  rates?: RateGate;
}

/**
 * Hands out the one HTTP client every connector uses. Per call: attach the stored access token
 * (refreshing first if it is about to expire); send; let the connector classify the answer; on
 * `token_expired` refresh once (cluster-wide single flight) and replay the same request once.
 * A replay that is refused again is an error, never a second refresh.
 */
export class AuthorizedClients {
  /** Per installation, so one account never has more open requests than its provider allows. */
  private readonly gates = new Map<string, Semaphore>();

  constructor(private readonly deps: AuthorizedClientDeps) {}

  /**
   * The client for one installation. With `prefetched` (see prefetch), its first call uses the
   * admission and tokens read in the caller's round trip instead of asking Redis again.
   */
  for(installationId: string, connector: EnabledConnector, prefetched?: PrefetchedCall): CloudHttp {
    return { request: (req) => this.gate(installationId, connector).run(() => this.call(installationId, connector, req, prefetched)) };
  }

  /**
   * Queues a first call's admission and the stored tokens on a pipeline the caller sends anyway (a
   * poll's lock pipeline), so that call needs no round trip of its own. `commands` is how many
   * were queued; `take` reads their replies, in order. The caller must `dispose()` what it took once
   * it is done calling (or will not call): an admission nobody used gives its slot back.
   */
  prefetch(pipeline: ChainableCommander, installationId: string, connector: EnabledConnector): { commands: number; take: (replies: PipelineReplies) => Promise<PrefetchedCall> } {
    const { rates, tokens } = this.deps;
    const lease = randomUUID();
    const queued = rates?.queueAdmit(pipeline, this.spec(installationId, connector), lease, Date.now());
    tokens.queueGet(pipeline, installationId);
    const commands = (queued?.commands ?? 0) + 1;
    return {
      commands,
      take: async (replies) => {
        const noReply: [Error, null] = [new Error('no reply from Redis'), null];
        let admitted = true;
        if (queued) admitted = await queued.settle(replies.slice(0, queued.commands)).then((a) => a.admitted, () => false);
        const release = admitted && queued ? () => void queued.giveBack().catch(() => undefined) : () => undefined;
        return new PrefetchedCall(admitted ? { lease: rates ? lease : undefined, sealed: replies[commands - 1] ?? noReply } : undefined, release);
      },
    };
  }

  private spec(installationId: string, connector: EnabledConnector) {
    const definition = connector.definition;
    return {
      installationId,
      connector: definition.name,
      maxConcurrent: definition.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS,
      limits: definition.rateLimits ?? [],
      // A refresh and a replay may follow the first send, each with its timeout.
      leaseMs: 3 * this.deps.timeoutMs + 5_000,
    };
  }

  private gate(installationId: string, connector: EnabledConnector): Semaphore {
    let gate = this.gates.get(installationId);
    if (!gate) {
      gate = new Semaphore(connector.definition.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS);
      this.gates.set(installationId, gate);
    }
    return gate;
  }

  private async call(installationId: string, connector: EnabledConnector, request: CloudRequest, prefetched?: PrefetchedCall): Promise<CloudResponse> {
    try {
      return await this.callAdmitted(installationId, connector, request, prefetched);
    } catch (err) {
      // The stored tokens are sealed under a key that is no longer configured: no retry can open
      // them, so the installation leaves `linked` (once) instead of failing every poll forever.
      if (err instanceof AppError && err.code === 'secret_unreadable') await this.deps.onReauthRequired(installationId, 'secret_unreadable');
      throw err;
    }
  }

  private async callAdmitted(installationId: string, connector: EnabledConnector, request: CloudRequest, prefetched?: PrefetchedCall): Promise<CloudResponse> {
    const { lease, stored } = this.claimPrefetched(installationId, prefetched) ?? (await this.admit(installationId, connector, request));
    try {
      return await this.callOnce(installationId, connector, request, stored);
    } finally {
      if (lease) void this.deps.rates?.release(installationId, lease).catch(() => undefined);
      const gate = this.gates.get(installationId);
      // Forget idle gates so the map does not grow with every installation ever called.
      if (gate?.idle) this.gates.delete(installationId);
    }
  }

  /**
   * The prefetched admission and tokens, once (the first call of the client); undefined when there
   * is none, it was used, or it was refused (the call then asks again, and waits or fails as usual).
   */
  private claimPrefetched(installationId: string, prefetched: PrefetchedCall | undefined): { lease: string | undefined; stored: StoredTokens | undefined } | undefined {
    const claimed = prefetched?.claim();
    if (!claimed) return undefined;
    try {
      const [error, sealed] = claimed.sealed;
      if (error) throw error;
      return { lease: claimed.lease, stored: this.deps.tokens.fromReply(installationId, sealed) };
    } catch (err) {
      if (claimed.lease) void this.deps.rates?.release(installationId, claimed.lease).catch(() => undefined);
      throw err;
    }
  }

  /** Uninstall: drops the installation's share of the cloud's limits (pause, leases, budgets). */
  async forget(installationId: string, connector: EnabledConnector): Promise<void> {
    this.gates.delete(installationId);
    await this.deps.rates?.forget(installationId, connector.definition.rateLimits ?? []);
  }

  /**
   * Waits for the shared limits to let this call through: a paused account (or application) fails
   * at once, without calling the cloud (the job retries later); an empty budget or a full set of
   * leases is waited out for up to one call's timeout, then fails the same way.
   */
  private async admit(
    installationId: string,
    connector: EnabledConnector,
    request: CloudRequest,
  ): Promise<{ lease: string | undefined; stored: StoredTokens | undefined }> {
    const { rates, timeoutMs, tokens } = this.deps;
    if (!rates) return { lease: undefined, stored: await tokens.get(installationId) };
    // Real time, not deps.now: tests move that clock (token expiry), and budgets and leases are
    // shared with other processes that do not.
    const now = Date.now;
    const definition = connector.definition;
    const spec = this.spec(installationId, connector);
    const lease = randomUUID();
    const deadline = now() + timeoutMs;
    for (;;) {
      // The stored tokens are read in the same round trip: every call needs them next.
      const { admission, replies } = await rates.admitWith(spec, lease, now(), (pipeline) => tokens.queueGet(pipeline, installationId));
      if (admission.admitted) {
        try {
          const [error, sealed] = replies[0] ?? [new Error('no reply from Redis'), null];
          if (error) throw error;
          return { lease, stored: tokens.fromReply(installationId, sealed) };
        } catch (err) {
          // Admitted but cannot go on: give the slot back rather than hold it until the lease expires.
          void rates.release(installationId, lease).catch(() => undefined);
          throw err;
        }
      }
      const what = `${request.method ?? 'GET'} ${request.path}`;
      if (admission.reason === 'pause') {
        this.deps.onCall?.(definition.name, 'held_rate_limited');
        throw cloudUnavailable(`${what}: the cloud asked to hold this account's calls for ${Math.ceil(admission.waitMs / 1000)} s more`);
      }
      if (now() + admission.waitMs > deadline) {
        this.deps.onCall?.(definition.name, 'held_over_budget');
        throw cloudUnavailable(`${what}: over the cloud's rate limit or concurrency cap; retried later`);
      }
      await sleep(admission.waitMs);
    }
  }

  /** The cloud revoked the grant behind `accessToken`: drop that pair, unless a newer one replaced it. */
  private async dropRefusedTokens(installationId: string, accessToken: string): Promise<void> {
    const current = await this.deps.tokens.get(installationId);
    if (current && current.tokens.accessToken === accessToken) await this.deps.tokens.deleteIf(installationId, current.sealed);
  }

  private async callOnce(
    installationId: string,
    connector: EnabledConnector,
    original: CloudRequest,
    stored: StoredTokens | undefined,
  ): Promise<CloudResponse> {
    const { tokens, refresher, now, timeoutMs } = this.deps;
    const name = connector.definition.name;
    const target = { installationId, provider: connector.definition.provider, credentials: connector.credentials };
    const classify = classifierFor(connector.definition);
    const request = withApiKey(original, connector.definition.apiKey, connector.credentials);
    if (!stored) throw reauthRequired('this installation is not linked to an account');
    let access = stored.tokens.accessToken;
    if (needsProactiveRefresh(stored.tokens, now(), connector.definition.refreshMarginMs)) {
      access = (await refresher.refresh(target, access)).accessToken;
    }

    let response = await send(connector.credentials.apiUrl, request, access, timeoutMs);
    let verdict = classify(response);
    if (verdict === 'token_expired') {
      const fresh = await refresher.refresh(target, access);
      response = await send(connector.credentials.apiUrl, request, fresh.accessToken, timeoutMs);
      verdict = classify(response);
      if (verdict === 'token_expired') {
        this.deps.onCall?.(name, 'token_rejected_after_refresh');
        throw cloudError(`${request.method ?? 'GET'} ${request.path}: the cloud rejected a freshly refreshed token`);
      }
    }
    this.deps.onCall?.(name, verdict);
    switch (verdict) {
      case 'ok':
        return response;
      case 'reauth_required':
        await this.dropRefusedTokens(installationId, access);
        await this.deps.onReauthRequired(installationId, `${request.path} answered ${response.status}`);
        throw reauthRequired('the cloud no longer accepts this account link; the user must reconnect');
      case 'rate_limited': {
        const pauseMs = retryAfterMs(response.headers.get('retry-after'), now());
        await this.deps.rates?.pause({ installationId, connector: name }, connector.definition.rateLimitedPauses ?? 'account', pauseMs);
        throw cloudUnavailable(`${request.method ?? 'GET'} ${request.path}: rate limited by the cloud for ${Math.ceil(pauseMs / 1000)} s`);
      }
      case 'retry':
        throw cloudUnavailable(`${request.method ?? 'GET'} ${request.path}: transient failure (HTTP ${response.status})`);
      default:
        throw cloudError(`${request.method ?? 'GET'} ${request.path}: HTTP ${response.status}`);
    }
  }

  /** Uninstall, whether or not the connector is still enabled: drops a leftover refresh lock. */
  async forgetRefreshLock(installationId: string): Promise<void> {
    await this.deps.refresher.forgetLock(installationId);
  }
}

/**
 * A first call's admission and stored tokens, read in a caller's round trip (AuthorizedClients.prefetch).
 * Used by at most one call; `dispose` gives an unused admission's slot back.
 */
export class PrefetchedCall {
  private used = false;

  constructor(
    private readonly admitted: { lease: string | undefined; sealed: [Error | null, unknown] } | undefined,
    private readonly giveBack: () => void,
  ) {}

  claim(): { lease: string | undefined; sealed: [Error | null, unknown] } | undefined {
    if (this.used) return undefined;
    this.used = true;
    return this.admitted;
  }

  dispose(): void {
    if (this.used) return;
    this.used = true;
    if (this.admitted) this.giveBack();
  }
}
