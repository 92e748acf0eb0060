import { defineConnector } from '../../src/connectors/sdk';
import { commands } from './commands';
import { classify } from './errors';
import { discover, poll } from './poll';
import { provider } from './provider';
import { webhook } from './webhook';

export default defineConnector({
  name: 'netatmo',
  title: 'Netatmo Energy',
  singleInstance: true,
  defaultApiUrl: 'https://api.netatmo.com',
  provider,
  classify,
  // A handful in flight is plenty; more draws 429 code 11 (§4).
  maxConcurrentRequests: 3,
  // Per user: 50 requests / 10 s and 500 / hour (§4). The per-application quota grows with the
  // number of users (2 × users / 10 s above 100), so a fixed figure here would throttle a large
  // platform for nothing: its 429 (code 26) pauses the account instead.
  rateLimits: [
    { per: 'account', requests: 50, windowMs: 10_000 },
    { per: 'account', requests: 500, windowMs: 3_600_000 },
  ],
  // Access tokens live 3 h; refresh 5 minutes early (§6.1).
  refreshMarginMs: 300_000,
  discover,
  poll,
  commands,
  webhook,
  async startFake() {
    const { FakeNetatmo } = await import('./fake/server');
    const fake = await FakeNetatmo.start();
    return {
      url: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      loginHint: 'sign in as demo@example.com / demo',
      stop: () => fake.stop(),
    };
  },
});
