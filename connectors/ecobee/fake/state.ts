import type { FakeCall, TokenLedger } from '../../../src/connectors/fake-cloud';
import { RevisionClock, type Clock } from './clock';
import type { FakeThermostatSeed } from './device-types';
import { ThermostatStore } from './devices';
import { ecobeeLedger, type RefreshTokenReuse } from './oauth';

/**
 * All the in-memory state of the fake ecobee cloud: thermostats (devices.ts), OAuth codes and
 * tokens (the kit's TokenLedger with ecobee's rules, oauth.ts), and the request log. No HTTP here; server.ts and the handlers drive it.
 * Section numbers (§) refer to /work/shared/ecobee-api.md.
 */

export interface FakeStateOptions {
  accessTokenTtlS: number;
  refreshTokenReuse: RefreshTokenReuse;
  now: Clock;
  thermostats: readonly FakeThermostatSeed[];
}

export class FakeState {
  readonly thermostats: ThermostatStore;
  readonly tokens: TokenLedger;
  readonly calls: FakeCall[] = [];
  private apiInFlight = 0;
  private apiInFlightMax = 0;

  constructor(opts: FakeStateOptions) {
    this.thermostats = new ThermostatStore(new RevisionClock(opts.now), opts.now);
    this.tokens = ecobeeLedger(opts);
    for (const seed of opts.thermostats) this.thermostats.add(seed);
  }

  /** §8 asks clients for at most 2-3 open requests; tests read the high-water mark. */
  apiRequestStarted(): void {
    this.apiInFlight++;
    this.apiInFlightMax = Math.max(this.apiInFlightMax, this.apiInFlight);
  }

  apiRequestEnded(): void {
    this.apiInFlight--;
  }

  maxConcurrentApiRequests(): number {
    return this.apiInFlightMax;
  }

  refreshCount(): number {
    return this.calls.filter((c) => c.method === 'POST' && c.path === '/token' && c.grantType === 'refresh_token').length;
  }
}
