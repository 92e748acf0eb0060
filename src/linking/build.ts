import type { Base } from '../runtime';
import { StateStore } from './state-store';

/** Linking's own records: the single-use OAuth states. */
export interface Linking {
  states: StateStore;
}

export function buildLinking(base: Pick<Base, 'config' | 'redis' | 'keys'>): Linking {
  return { states: new StateStore(base.redis, base.keys, base.config.secretKeys) };
}
