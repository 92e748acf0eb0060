import type { FakeCall } from '../../../src/connectors/fake-cloud';
import type { FakeUser } from './accounts';
import type { FakeHomeSeed } from './device-types';
import { HomeStore } from './devices';
import { TokenStore, type TokenStoreOptions } from './tokens';
import { WebhookRegistry } from './webhooks';

/**
 * All the in-memory state of the fake Netatmo cloud: homes (devices.ts), OAuth codes and rotating
 * tokens (tokens.ts), webhook registrations (webhooks.ts), the user and the request log. No HTTP
 * here; server.ts and the handlers drive it. Section numbers (§) refer to /work/shared/netatmo-api.md.
 */

export interface FakeStateOptions extends TokenStoreOptions {
  user: FakeUser;
  homes: readonly FakeHomeSeed[];
}

export class FakeState {
  readonly homes: HomeStore;
  readonly tokens: TokenStore;
  readonly webhooks = new WebhookRegistry();
  readonly calls: FakeCall[] = [];
  readonly user: FakeUser;

  constructor(opts: FakeStateOptions) {
    this.homes = new HomeStore(opts.now);
    this.tokens = new TokenStore(opts);
    this.user = opts.user;
    for (const seed of opts.homes) this.homes.add(seed);
  }

  refreshCount(): number {
    return this.calls.filter((c) => c.method === 'POST' && c.path === '/oauth2/token' && c.grantType === 'refresh_token').length;
  }
}
