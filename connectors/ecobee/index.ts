import { defineConnector } from '../../src/connectors/sdk';
import { commands } from './commands';
import { classify } from './errors';
import { discover, poll } from './poll';
import { provider } from './provider';

export default defineConnector({
  name: 'ecobee',
  title: 'ecobee',
  singleInstance: true,
  defaultApiUrl: 'https://api.ecobee.com',
  provider,
  classify,
  // "DO NOT have more than 2-3 open HTTP requests with the ecobee API at any given time" (§8).
  maxConcurrentRequests: 2,
  discover,
  poll,
  commands,
  async startFake() {
    const { FakeEcobee } = await import('./fake/server');
    const fake = await FakeEcobee.start();
    return {
      url: fake.url,
      clientId: fake.clientId,
      loginHint: 'sign in as demo@example.com / demo',
      stop: () => fake.stop(),
    };
  },
});
