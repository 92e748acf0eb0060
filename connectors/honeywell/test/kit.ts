import type { ConnectorKit, KitFake } from '../../../test/conformance/kit';
import { DEFAULT_LOCATIONS, FakeHoneywell } from '../fake/server';

type HoneywellKitFake = FakeHoneywell & KitFake;

export const honeywellKit: ConnectorKit<HoneywellKitFake> = {
  connector: 'honeywell',
  async start() {
    const fake = await FakeHoneywell.start();
    return Object.assign(fake, { failNextListing: () => fake.failWithStatus('locations', 500) });
  },
  // LCC in °F, TCC in °F, LCC in °C at a second location.
  devices: DEFAULT_LOCATIONS.flatMap((l) => l.thermostats.map((t) => t.deviceID)),
  rename: (fake, id, name) => fake.locations.rename(id, name),
  remove: (fake, id) => fake.locations.remove(id),
  command: {
    name: 'setHeatingSetpoint',
    arguments: [66],
    badArguments: ['warm'],
    applied: (fake, id) => fake.thermostat(id)?.changeableValues.heatSetpoint === 66,
    attribute: ['heatingSetpoint', 66],
  },
};
