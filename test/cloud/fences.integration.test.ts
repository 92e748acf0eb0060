import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startNeutralHost, type NeutralHost } from '../helpers/neutral-host';
import { eventually } from '../helpers/link';
import { RefreshCoordinator } from '../../src/cloud/refresh';
import type { TokenSet } from '../../src/cloud/provider-token-store';
import type { RefreshTarget } from '../../src/cloud/refresh';
import { tryAcquire } from '../../src/runtime/redis/lock';
import { keyNames } from '../helpers/key-names';

/**
 * The two fences that keep a holder whose lock expired from doing harm: the compare-and-set on the
 * token write (a late refresher must not overwrite the newer pair) and the owner check on lock
 * release (a late holder must not delete the lock someone else now holds). Each test builds the
 * race for real: two coordinators on two Redis connections, a lock that expires under the first
 * while its token request is held open by the provider, the second taking the lock meanwhile.
 */

/** A token endpoint that issues a fresh pair per request (access-N for the Nth) and answers only when the test says so. */
class GatedTokenEndpoint {
  private readonly server: Server;
  private readonly held: Array<{ res: ServerResponse; answer: () => void }> = [];
  requests = 0;
  /** When false every request is answered at once. */
  hold = true;
  url = '';

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers the oldest held request. */
  releaseNext(): void {
    const next = this.held.shift();
    if (!next) throw new Error('no request is held');
    next.answer();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    req.on('end', () => {
      // Numbered by arrival: the first request's pair is access-1 whenever it is answered.
      const n = ++this.requests;
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'Bearer', expires_in: 3600 }));
      };
      if (this.hold) this.held.push({ res, answer });
      else answer();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let host: NeutralHost;
let endpoint: GatedTokenEndpoint;
let second: Redis;
const ID = 'inst-fence';
const INITIAL: TokenSet = { accessToken: 'access-0', refreshToken: 'refresh-0', expiresAt: undefined, scope: undefined, tokenType: 'Bearer' };

beforeEach(async () => {
  host = await startNeutralHost();
  endpoint = new GatedTokenEndpoint();
  await endpoint.listen();
  second = new Redis(host.config.redisUrl ?? '', { maxRetriesPerRequest: 1 });
  await host.services.tokens.put(ID, INITIAL);
});
afterEach(async () => {
  second.disconnect();
  await endpoint.close();
  await host.close();
});

const target = (): RefreshTarget => ({
  installationId: ID,
  provider: {
    authorizePath: '/authorize',
    tokenPath: '/token',
    scopes: ['read'],
    scopeSeparator: ' ',
    clientAuth: 'body',
    tokenParams: 'body',
    pkce: false,
  },
  credentials: { clientId: 'fence-client', clientSecret: 'fence-secret', apiUrl: endpoint.url },
});

/** One process's refresher: its own Redis connection, its own lock lifetime. */
function coordinator(redis: Redis, lockTtlMs: number): RefreshCoordinator {
  const { keys, tokens, log } = host.services;
  return new RefreshCoordinator({
    redis,
    keys,
    tokens,
    log,
    now: () => Date.now(),
    options: { timeoutMs: 30_000, lockTtlMs, attempts: 1, waitPollMs: 10 },
    onRefused: async () => undefined,
  });
}

const lockKey = () => keyNames(host.services.keys).refreshLock(ID);

/** Starts A's refresh and returns once its token request is held and its lock has expired. */
async function firstHolderOutlivesItsLock(): Promise<{ first: Promise<TokenSet> }> {
  const first = coordinator(host.services.redis, 200).refresh(target(), INITIAL.accessToken);
  first.catch(() => undefined);
  await eventually(async () => endpoint.requests === 1, "the first holder's token request");
  await eventually(async () => (await host.inspect.exists(lockKey())) === 0, "the first holder's lock to expire", 10_000);
  return { first }; // wrapped: an async function would otherwise wait for it
}

describe('token write fence (compare-and-set)', () => {
  it('a refresher whose lock expired => its late pair is refused, the newer pair stays stored, it returns the newer pair', async () => {
    const { first } = await firstHolderOutlivesItsLock();

    // The second process finds the lock free and refreshes completely.
    endpoint.hold = false;
    const secondPair = await coordinator(second, 60_000).refresh(target(), INITIAL.accessToken);
    expect(secondPair.accessToken).toBe('access-2');
    expect((await host.services.tokens.get(ID))?.tokens.accessToken).toBe('access-2');

    // Now the first one's answer arrives: it must not overwrite the newer pair.
    endpoint.releaseNext();
    const firstResult = await first;
    const stored = await host.services.tokens.get(ID);
    expect(stored?.tokens.accessToken).toBe('access-2');
    expect(stored?.tokens.refreshToken).toBe('refresh-2');
    expect(firstResult.accessToken).toBe('access-2');
    expect(endpoint.requests).toBe(2);
  }, 30_000);
});

describe('lock release fence (owner check)', () => {
  it('a refresher whose lock expired and was taken by another => its release leaves the other holder\'s lock in place', async () => {
    const { first } = await firstHolderOutlivesItsLock();

    // The second process takes the lock; its own token request is held too, so it still holds it.
    const secondRun = coordinator(second, 60_000).refresh(target(), INITIAL.accessToken);
    secondRun.catch(() => undefined);
    await eventually(async () => endpoint.requests === 2, "the second holder's token request");
    const secondOwner = await host.inspect.get(lockKey());
    expect(secondOwner).not.toBeNull();

    // The first finishes and releases "its" lock: the second's lock must survive.
    endpoint.releaseNext();
    await first;
    expect(await host.inspect.get(lockKey())).toBe(secondOwner);

    endpoint.releaseNext();
    // The first wrote access-1 (its compare-and-set still matched); the second was fenced out and reused it.
    expect((await secondRun).accessToken).toBe('access-1');
    expect((await host.services.tokens.get(ID))?.tokens.accessToken).toBe('access-1');
    expect(endpoint.requests).toBe(2);
    expect(await host.inspect.exists(lockKey())).toBe(0);
  }, 30_000);

  it('lock primitive: a release after expiry and re-acquire by another => the other\'s lock is kept', async () => {
    const key = `${host.config.keyPrefix}:fence-probe:${randomBytes(4).toString('hex')}`;
    const firstLock = await tryAcquire(host.services.redis, key, 100);
    expect(firstLock).toBeDefined();
    await eventually(async () => (await host.inspect.exists(key)) === 0, 'the first lock to expire');
    const secondLock = await tryAcquire(second, key, 60_000);
    expect(secondLock).toBeDefined();
    await firstLock?.release();
    expect(await host.inspect.get(key)).toBe(secondLock?.owner);
    expect(await firstLock?.extend(60_000)).toBe(false);
    expect(await tryAcquire(host.services.redis, key, 60_000)).toBeUndefined();
    await secondLock?.release();
    expect(await host.inspect.exists(key)).toBe(0);
  });
});
