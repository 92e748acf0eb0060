import { randomBytes } from 'node:crypto';
import type { FakeHomeSeed } from './device-types';

/** The one Netatmo user the fake serves: who may sign in, and the homes they start with. */

export interface FakeUser {
  id: string;
  email: string;
  password: string;
}

/** §2.3: homes and users have 24-hex ids. */
export const newHexId = (): string => randomBytes(12).toString('hex');

/** The id is left out: each fake draws its own unless told (newHexId). */
export const DEFAULT_USER: Omit<FakeUser, 'id'> = { email: 'demo@example.com', password: 'demo' };

/** The demo home: a relay, a thermostat room and valve rooms (§2.3 shapes). */
export const DEFAULT_HOMES: readonly FakeHomeSeed[] = [
  {
    id: '5c4f3b2a1d0e9f8a7b6c5d4e',
    name: 'Demo home',
    relay: { id: '70:ee:50:00:00:01', name: 'Relay' },
    rooms: [
      {
        id: '2746182631',
        name: 'Living room',
        type: 'livingroom',
        measuredTemperature: 19.8,
        scheduleTemperature: 20,
        modules: [{ id: '04:00:00:00:01:ae', type: 'NATherm1', name: 'Thermostat', batteryLevel: 3793 }],
      },
      {
        id: '2833524037',
        name: 'Bedroom',
        type: 'bedroom',
        measuredTemperature: 18.2,
        scheduleTemperature: 17,
        modules: [
          { id: '09:00:00:00:a5:54', type: 'NRV', name: 'Bedroom valve 1', batteryLevel: 3025 },
          { id: '09:00:00:00:a5:55', type: 'NRV', name: 'Bedroom valve 2', batteryLevel: 2750 },
        ],
      },
      {
        id: '2940411577',
        name: 'Kitchen',
        type: 'kitchen',
        measuredTemperature: 20.5,
        scheduleTemperature: 19,
        modules: [{ id: '09:00:00:00:a0:ac', type: 'NRV', name: 'Kitchen valve', batteryLevel: 2950 }],
      },
    ],
  },
];
