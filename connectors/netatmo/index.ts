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
  // Per user: 50 requests / 10 s (§4); a handful in flight is plenty.
  maxConcurrentRequests: 3,
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
