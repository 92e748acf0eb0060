import { defineConnector } from '../../src/connectors/sdk';
import { provider } from './provider';

export default defineConnector({
  name: 'ecobee',
  title: 'ecobee',
  singleInstance: true,
  defaultApiUrl: 'https://api.ecobee.com',
  provider,
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
