import type { Base } from '../runtime';
import { PollScheduler } from './poll-queue';

/** Producer side of the poll queue (schedules, immediate polls); workers run elsewhere. */
export interface Sync {
  scheduler: PollScheduler;
}

export function buildSync(base: Pick<Base, 'redis' | 'keys'>, onQueueError: (err: Error) => void): Sync {
  return { scheduler: new PollScheduler(base.redis, base.keys.bullPrefix, onQueueError) };
}
