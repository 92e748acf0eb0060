import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logging/logger';
import { Shutdown } from '../../src/runtime/shutdown';

/**
 * A start-up that fails after something started (the port lost a race) stops what started, in
 * reverse order, says nothing more than the caller's one line, and exits with the caller's code.
 */

function setup(steps: Array<{ name: string; run: () => Promise<void> }>, timeoutMs = 5_000) {
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString('utf8')), done()) }));
  let exited: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  let forced = 0;
  const shutdown = new Shutdown({ steps, timeoutMs, log, onDrain: () => undefined, force: () => void forced++, exit: (code) => exited(code) });
  return { shutdown, exit, lines, forced: () => forced };
}

it('abort(1) => every step runs in reverse (a failing one too), no log line, exit code 1', async () => {
  const ran: string[] = [];
  const step = (name: string, fail = false) => ({
    name,
    run: async () => {
      ran.push(name);
      if (fail) throw new Error(`${name} failed`);
    },
  });
  const { shutdown, exit, lines, forced } = setup([step('redis-server'), step('fake cloud', true), step('workers')]);
  shutdown.abort(1);
  expect(await exit).toBe(1);
  expect(ran).toEqual(['workers', 'fake cloud', 'redis-server']);
  // Only the failed step's warning: no "shutting down" / "shutdown complete" around the caller's line.
  expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['cleanup step failed']);
  expect(forced()).toBe(0);
});

it('abort while a step hangs => forced after the deadline, exit code 1', async () => {
  const { shutdown, exit, forced } = setup([{ name: 'hangs', run: () => new Promise<void>(() => undefined) }], 50);
  shutdown.abort(1);
  expect(await exit).toBe(1);
  expect(forced()).toBe(1);
});

it('abort after a signal started the drain => ignored (one drain, one exit)', async () => {
  let runs = 0;
  const { shutdown, exit } = setup([{ name: 'once', run: async () => void runs++ }]);
  shutdown.signal('SIGTERM');
  shutdown.abort(1);
  expect(await exit).toBe(0);
  expect(runs).toBe(1);
});
