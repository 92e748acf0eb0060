import { z } from 'zod';
import { defineCommand, type CommandDefinition, type CommandTarget } from '../../src/connectors/sdk';
import { setRoomThermpoint, setThermMode } from './api';
import { splitExternalId } from './devices';

/** Netatmo accepts manual setpoints of 7–30 °C (HA caps the same way, §2.5). Units: °C, as the device reports. */
const celsius = z.number().finite().min(7).max(30);

function room(target: CommandTarget): { homeId: string; roomId: string } {
  const ids = splitExternalId(target.externalId);
  if (!ids) throw new Error(`not a Netatmo room id: ${target.externalId}`);
  return ids;
}

export const commands: Record<string, CommandDefinition> = {
  setHeatingSetpoint: defineCommand({
    input: z.tuple([celsius]),
    async run(ctx, target, [temp]) {
      await setRoomThermpoint(ctx.http, { ...room(target), mode: 'manual', temp });
    },
  }),
  /** `home` returns the room to the schedule; `max` boosts (thermostat rooms); `off` turns it off. */
  setSetpointMode: defineCommand({
    input: z.tuple([z.enum(['home', 'max', 'off'])]),
    async run(ctx, target, [mode]) {
      await setRoomThermpoint(ctx.http, { ...room(target), mode });
    },
  }),
  /** Home-wide: schedule, away or frost guard (hg). Applies to every room of the room's home. */
  setThermMode: defineCommand({
    input: z.tuple([z.enum(['schedule', 'away', 'hg'])]),
    async run(ctx, target, [mode]) {
      await setThermMode(ctx.http, room(target).homeId, mode);
    },
  }),
};
