import type { ConnectorKit, KitFake } from '../../../test/conformance/kit';
import { FakeEcobee } from '../fake/server';

type EcobeeKitFake = FakeEcobee & KitFake;

export const ecobeeKit: ConnectorKit<EcobeeKitFake> = {
  connector: 'ecobee',
  async start() {
    const fake = await FakeEcobee.start();
    return Object.assign(fake, {
      failNextListing: () => fake.failNext('thermostat', { kind: 'status', status: 500, body: { status: { code: 3, message: 'Processing error.' } } }),
    });
  },
  devices: ['311000000001', '311000000002', '311000000003'],
  rename: (fake, id, name) => fake.renameThermostat(id, name),
  remove: (fake, id) => fake.removeThermostat(id),
  command: {
    name: 'setHeatingSetpoint',
    arguments: [66],
    badArguments: ['warm'],
    applied: (fake, id) => fake.thermostat(id)?.runtime.desiredHeat === 660,
    attribute: ['heatingSetpoint', 66],
  },
};
