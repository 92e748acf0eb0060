import { Queue, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ConnectorCredentials, EnabledConnector, Logger } from '../runtime';
import type { OAuthProvider } from '../connectors';
import type { ProviderTokenStore, TokenSet } from './provider-token-store';

export const REVOCATION_QUEUE = 'token-revocation';

/**
 * One uninstalled installation's provider tokens to revoke at the cloud. `sealedTokens` is the
 * stored ciphertext copied verbatim before the tokens were deleted: still sealed (AES-GCM, bound to
 * the installation id), so job data in Redis holds no usable token; only the worker opens it.
 */
export const revocationJobSchema = z.object({
  installationId: z.string().min(1),
  connector: z.string().min(1),
  sealedTokens: z.string().min(1),
});
export type RevocationJob = z.infer<typeof revocationJobSchema>;

export type RevocationOutcome = 'revoked' | 'retry' | 'gave_up' | 'rejected' | 'unreadable';

/** Producer side: uninstall queues here and moves on; it never waits for the cloud. */
export class TokenRevocations {
  readonly queue: Queue<RevocationJob>;

  constructor(
    connection: Redis,
    prefix: string,
    options: { attempts: number; backoffMs: number },
    onError: (err: Error) => void = () => undefined,
  ) {
    this.queue = new Queue<RevocationJob>(REVOCATION_QUEUE, {
      connection,
      prefix,
      defaultJobOptions: {
        attempts: options.attempts,
        backoff: { type: 'exponential', delay: options.backoffMs },
        removeOnComplete: true,
        removeOnFail: { count: 1_000, age: 7 * 24 * 3600 },
      },
    });
    this.queue.on('error', onError);
  }

  /** One job per installation while it waits: an uninstall retried after a failure does not queue a second. */
  async enqueue(job: RevocationJob): Promise<void> {
    await this.queue.add('revoke', job, { jobId: `revoke-${job.installationId}` });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

type Revocation = NonNullable<OAuthProvider['revocation']>;

/** A failure worth another attempt (5xx, 429, timeout, network): thrown for BullMQ's backoff. */
class RevocationRetry extends Error {}

/** Sends the revocation request(s) the connector declares. Resolves when the cloud accepted every one. */
export async function revokeAtProvider(
  revocation: Revocation,
  provider: OAuthProvider,
  credentials: ConnectorCredentials,
  tokens: TokenSet,
  timeoutMs: number,
): Promise<void> {
  const url = `${credentials.apiUrl}${revocation.path}`;
  if (revocation.kind === 'bearer') {
    const status = await send(url, { method: revocation.method, headers: { authorization: `Bearer ${tokens.accessToken}` } }, timeoutMs);
    // 401: the token is already dead, which is what we wanted.
    judge(status, status === 401);
    return;
  }
  for (const kind of revocation.tokens) {
    const token = kind === 'refresh_token' ? tokens.refreshToken : tokens.accessToken;
    if (token === undefined) continue;
    const form = new URLSearchParams({ token, token_type_hint: kind });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (provider.clientAuth === 'basic') {
      // RFC 6749 §2.3.1: each part form-urlencoded before Basic encoding.
      const pair = `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret ?? '')}`;
      headers['authorization'] = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', credentials.clientId);
      if (credentials.clientSecret !== undefined) form.set('client_secret', credentials.clientSecret);
    }
    // RFC 7009 §2.2: 200 also for a token that was already invalid.
    judge(await send(url, { method: 'POST', headers, body: form.toString() }, timeoutMs), false);
  }
}

async function send(url: string, init: RequestInit, timeoutMs: number): Promise<number> {
  try {
    const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel().catch(() => undefined);
    return response.status;
  } catch (err) {
    throw new RevocationRetry(`revocation endpoint unreachable: ${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}`);
  }
}

function judge(status: number, alreadyGone: boolean): void {
  if ((status >= 200 && status < 300) || alreadyGone) return;
  if (status >= 500 || status === 429) throw new RevocationRetry(`revocation endpoint answered ${status}`);
  // 4xx (unsupported_token_type, invalid_client, …): asking again cannot change the answer.
  throw new UnrecoverableError(`revocation endpoint refused with ${status}`);
}

export interface RevocationDeps {
  connectors: ReadonlyMap<string, EnabledConnector>;
  tokens: ProviderTokenStore;
  log: Logger;
  timeoutMs: number;
  onOutcome?: (connector: string, outcome: RevocationOutcome) => void;
}

/**
 * The revocation job: open the captured tokens, call the cloud. Transient failures are retried
 * with backoff; after the last attempt the job fails for good with one log line. Never logs a token.
 */
export function revocationProcessor(deps: RevocationDeps) {
  return async (job: Job<RevocationJob>): Promise<RevocationOutcome> => {
    const parsed = revocationJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('malformed revocation job');
    const { installationId, connector, sealedTokens } = parsed.data;
    const log = deps.log.child({ installationId, connector, jobId: job.id });
    const enabled = deps.connectors.get(connector);
    const revocation = enabled?.definition.provider.revocation;
    if (!enabled || !revocation) return 'revoked';
    let tokens: TokenSet;
    try {
      tokens = deps.tokens.unseal(installationId, sealedTokens);
    } catch {
      deps.onOutcome?.(connector, 'unreadable');
      log.warn('token revocation skipped: the captured tokens open with no configured key');
      throw new UnrecoverableError('captured tokens are unreadable');
    }
    try {
      await revokeAtProvider(revocation, enabled.definition.provider, enabled.credentials, tokens, deps.timeoutMs);
    } catch (err) {
      const last = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const outcome: RevocationOutcome = err instanceof UnrecoverableError ? 'rejected' : last ? 'gave_up' : 'retry';
      deps.onOutcome?.(connector, outcome);
      const reason = (err as Error).message;
      if (last) log.warn({ reason, attempts: job.attemptsMade + 1 }, 'token revocation gave up; the tokens stay valid at the cloud until they expire');
      else log.info({ reason, attempt: job.attemptsMade + 1 }, 'token revocation failed, will retry');
      throw err;
    }
    deps.onOutcome?.(connector, 'revoked');
    log.info('provider tokens revoked');
    return 'revoked';
  };
}
