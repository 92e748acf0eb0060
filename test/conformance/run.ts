import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { startWorkers, type RunningWorkers } from '../../src/runtime/workers';
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

async function readQuality(connector: string) {
  const path = resolve(import.meta.dirname, '../../connectors', connector, 'quality.yaml');
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
      const core = await startHostCore({ fakes: { [kit.connector]: fake } });
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
      if (rule) describe(name, () => rule(env));
    }
  });
}

export { readQuality };
