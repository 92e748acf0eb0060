import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
import { DEFAULT_CONNECTORS_DIR, loadConnectors } from '../../src/connectors/registry';
import type { Connector } from '../../src/connectors/define-connector';
import { startHostCore, type HostCore } from '../helpers/host';
import { link, type LinkedInstallation } from '../helpers/link';
import addRemoveRename from './add-remove-rename';
import commands from './commands';
import discoverySelection from './discovery-selection';
import type { ConnectorKit, KitFake, Rule } from './kit';
import linking from './linking';
import reauth from './reauth';
import refreshReplay from './refresh-replay';
import stateChecks from './state-checks';
import uninstallCleanup from './uninstall-cleanup';
import webhooks from './webhooks';

/** What each rule checks, in one line, for the explanation under a failed check. */
export const RULE_SUMMARY: Record<string, string> = {
  linking: 'Linking through the browser flow stores tokens encrypted and marks the installation linked.',
  'state-checks': 'The callback refuses a reused state and a decline, and changes nothing when it does.',
  'refresh-replay': 'An expired token during calls => exactly one refresh, every call replayed and answered.',
  reauth: 'A refused refresh => reauth_required, polling paused, an event; re-linking restores it with devices kept.',
  'discovery-selection': "Discovery lists the cloud's devices; selecting two creates exactly two child devices with state.",
  'add-remove-rename': 'Cloud renames and removals reach the child devices by polling; a failed listing removes nothing.',
  commands: 'A command reaches the cloud through the authorized client; bad arguments never leave the host (400).',
  webhooks: 'A change in the cloud arrives as a signed push and updates the device without a poll; a duplicate applies once.',
  'uninstall-cleanup': 'Uninstall removes devices (with events), schedules, tokens and every key naming the installation.',
};

/** Every rule, by the name quality.yaml uses. One file per rule. */
export const RULES: Record<string, Rule> = {
  linking,
  'state-checks': stateChecks,
  'refresh-replay': refreshReplay,
  reauth,
  'discovery-selection': discoverySelection,
  'add-remove-rename': addRemoveRename,
  commands,
  webhooks,
  'uninstall-cleanup': uninstallCleanup,
};

const qualitySchema = z.object({
  rules: z.record(
    z.string(),
    z.union([
      z.literal('done'),
      z.object({ status: z.enum(['done', 'todo', 'exempt']), comment: z.string().min(1) }),
    ]),
  ),
});

async function readQuality(connector: string, folder?: string) {
  const path = join(folder ?? resolve(import.meta.dirname, '../../connectors', connector), 'quality.yaml');
  return qualitySchema.parse(parse(await readFile(path, 'utf8')));
}

/**
 * Runs the conformance suite against a connector and its fake cloud. The connector's
 * quality.yaml must list every rule: `done` rules run here; `todo` and `exempt` need a comment.
 */
export function runConformance<F extends KitFake>(kit: ConnectorKit<F>, quality: Awaited<ReturnType<typeof readQuality>>): void {
  describe(`${kit.connector} conformance`, () => {
    it('quality.yaml => lists every rule, and no rule that does not exist', () => {
      expect(Object.keys(quality.rules).sort()).toEqual(Object.keys(RULES).sort());
    });

    let host: (HostCore & { fake: F }) | undefined;
    let workers: RunningWorkers | undefined;
    beforeEach(async () => {
      const fake = await kit.start();
      const core = await startHostCore({ fakes: { [kit.connector]: fake }, ...(await elsewhere(kit)) });
      host = { ...core, fake };
      workers = startWorkers(core.services, { concurrency: 4 });
    });
    afterEach(async () => {
      await workers?.close();
      await host?.close();
      await host?.fake.stop();
    });

    const env = {
      kit,
      host: () => {
        if (!host) throw new Error('no host');
        return host;
      },
      link: (existing?: LinkedInstallation) => link(env.host(), existing, kit.connector),
    };
    for (const [name, status] of Object.entries(quality.rules)) {
      if (status !== 'done') continue;
      const rule = RULES[name];
      if (!rule) continue;
      describe(name, () => {
        beforeEach(() => {
          // Registered per test, so the fake it reads is that test's fake.
          onTestFailed(({ task }) => {
            for (const error of task.result?.errors ?? []) error.message = explain(kit.connector, name, error, host?.fake.dump());
          });
        });
        rule(env);
      });
    }
  });
}

/** A connector outside connectors/ (kit.folder), loaded from its own folder for this suite. */
async function elsewhere(kit: ConnectorKit<KitFake>): Promise<{ connectors?: Map<string, Connector> }> {
  if (!kit.folder || dirname(resolve(kit.folder)) === DEFAULT_CONNECTORS_DIR) return {};
  const loaded = await loadConnectors(dirname(resolve(kit.folder)));
  const connector = loaded.get(kit.connector);
  if (!connector) throw new Error(`${kit.folder} holds no connector named ${kit.connector}`);
  return { connectors: new Map([[kit.connector, connector]]) };
}

/**
 * A failed check, explained: the connector and rule, what the rule checks, what was expected and
 * what happened, and every request the fake cloud received during the test.
 */
export function explain(
  connector: string,
  rule: string,
  error: { message: string; expected?: string | undefined; actual?: string | undefined },
  requestLog: string | undefined,
): string {
  const lines = [
    error.message,
    '',
    `── conformance: ${connector} › ${rule} ──`,
    `rule:     ${RULE_SUMMARY[rule] ?? rule}`,
    `expected: ${error.expected ?? '(see the assertion above)'}`,
    `got:      ${error.actual ?? '(see the assertion above)'}`,
    `requests the fake ${connector} cloud received, in order:`,
    requestLog ?? '  (the fake had not started)',
  ];
  return lines.join('\n');
}

export { readQuality };
