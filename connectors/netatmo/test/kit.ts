import type { ConnectorKit, KitFake } from '../../../test/conformance/kit';
import { FakeNetatmo } from '../fake/server';
import { splitExternalId } from '../devices';

type NetatmoKitFake = FakeNetatmo & KitFake & { lastPush: () => string | undefined };

const ids = (externalId: string) => {
  const parts = splitExternalId(externalId);
  if (!parts) throw new Error(`bad external id ${externalId}`);
  return parts;
};

export async function startNetatmoKitFake(): Promise<NetatmoKitFake> {
  const fake = await FakeNetatmo.start();
  return Object.assign(fake, {
    failNextListing: () => fake.failNext('homesdata', { kind: 'status', status: 500 }),
    lastPush: () => fake.deliveries().filter((d) => !d.body.includes('webhook_activation')).at(-1)?.body,
  });
}

export const netatmoKit: ConnectorKit<NetatmoKitFake> = {
  connector: 'netatmo',
  start: startNetatmoKitFake,
  get devices() {
    return DEVICES;
  },
  rename: (fake, id, name) => fake.renameRoom(ids(id).homeId, ids(id).roomId, name),
  remove: (fake, id) => fake.removeRoom(ids(id).homeId, ids(id).roomId),
  command: {
    name: 'setHeatingSetpoint',
    arguments: [22.5],
    badArguments: [99],
    applied: (fake, id) => fake.room(ids(id).homeId, ids(id).roomId)?.setpoint === 22.5,
    attribute: ['heatingSetpoint', 22.5],
  },
  push: {
    act: async (fake, id) => {
      await fake.userSetsRoomSetpoint(ids(id).homeId, ids(id).roomId, 23.5, 'manual');
    },
    attribute: ['heatingSetpoint', 23.5],
    redeliverLast: async (fake) => {
      const body = fake.lastPush();
      const url = fake.webhookUrl();
      if (!body || !url) throw new Error('nothing was pushed yet');
      await fake.deliverRaw(url, body);
    },
  },
};

/** Filled from the fake's default home at module load (room device ids are home.room). */
const DEVICES: string[] = [];
const probe = await FakeNetatmo.start();
for (const home of probe.homes()) for (const room of home.rooms) DEVICES.push(`${home.id}.${room.id}`);
await probe.stop();
