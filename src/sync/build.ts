import { pollIntervalMs, type Base } from '../runtime';
import { PollDispatcher, type DispatcherOptions } from './poll-dispatcher';
import { PollScheduler } from './poll-queue';

/** Producer side of the poll queue (schedules, immediate polls); workers and the dispatcher run elsewhere. */
export interface Sync {
  scheduler: PollScheduler;
}

export function buildSync(base: Pick<Base, 'config' | 'connectors' | 'keys' | 'now' | 'redis'>, onQueueError: (err: Error) => void): Sync {
  const intervals = new Map([...base.connectors].map(([name, connector]) => [name, pollIntervalMs(base, connector)]));
  return { scheduler: new PollScheduler(base.redis, base.keys, intervals, onQueueError, base.now) };
}

/** The schedule dispatcher of a process that runs poll workers (poll-dispatcher.ts), started. */
export function startPollDispatcher(services: Pick<Base, 'log' | 'metrics' | 'now'> & Sync, options: DispatcherOptions = {}): PollDispatcher {
  const { scheduler } = services;
  const dispatcher = new PollDispatcher(services, scheduler.store, scheduler.queue, scheduler.intervals, options);
  dispatcher.start();
  return dispatcher;
}
