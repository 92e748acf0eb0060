import { defineConnector } from '../../src/connectors/sdk';
import { commands } from './commands';
import { deviceContext } from './devices';
import { classify, tokenExpired } from './errors';
import { discover, poll } from './poll';
import { provider } from './provider';

export default defineConnector({
  name: 'honeywell',
  title: 'Honeywell Home',
  singleInstance: true,
  // api.honeywell.com's certificate expired in May 2026; the portal points to this host (§1).
  defaultApiUrl: 'https://api.honeywellhome.com',
  provider,
  // Every /v2 call carries the Consumer Key as `apikey` (§3).
  apiKey: { in: 'query', name: 'apikey', from: 'clientId' },
  tokenExpired,
  classify,
  // The quota is per API key (§6: ~300 requests/hour observed, raised on request), so a 429 holds
  // every installation's calls. No budget is declared: a fixed figure would cap a platform whose
  // key has a raised quota; the poll interval keeps one account well inside it.
  rateLimitedPauses: 'application',
  // Access tokens live ~30 min and can die early (§2, §8): renew 5 minutes ahead.
  refreshMarginMs: 300_000,
  deviceContext,
  discover,
  poll,
  commands,
  async startFake() {
    const { FakeHoneywell } = await import('./fake/server');
    const fake = await FakeHoneywell.start();
    return {
      url: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      loginHint: `sign in as ${fake.username} / ${fake.password}`,
      stop: () => fake.stop(),
    };
  },
});
