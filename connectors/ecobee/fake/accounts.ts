import type { FakeThermostatSeed } from './device-types';

/** The one ecobee account the fake serves: who may sign in, and the thermostats it starts with. */

export interface FakeUser {
  username: string;
  password: string;
}

export const DEFAULT_USER: FakeUser = { username: 'demo@example.com', password: 'demo' };

export const DEFAULT_THERMOSTATS: readonly FakeThermostatSeed[] = [
  { identifier: '311000000001', name: 'Living Room' },
  { identifier: '311000000002', name: 'Upstairs' },
  { identifier: '311000000003', name: 'Basement' },
];
