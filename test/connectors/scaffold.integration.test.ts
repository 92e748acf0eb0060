import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { newConnectorCommand } from '../../scripts/new-connector';
import type { ConnectorKit, KitFake } from '../conformance/kit';
import { readQuality, RULES, runConformance } from '../conformance/run';

/**
 * The scaffold's promise: `npm run new-connector -- <name>` writes a folder whose own suite runs
 * green out of the box. Written into a temporary folder inside the repository (so its imports
 * resolve), typechecked, then its conformance test run as written (every rule todo) and once more
 * with every rule done: the generated connector and fake are a working start, not a stub.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TMP = join(ROOT, 'test-artifacts', `scaffold-${randomBytes(4).toString('hex')}`);
const NAME = 'acme-air';
const FOLDER = join(TMP, NAME);

await mkdir(TMP, { recursive: true });
const exitCode = await newConnectorCommand([NAME, '--dir', TMP]);
const { acmeAirKit } = (await import(join(FOLDER, 'test', 'kit.ts'))) as { acmeAirKit: ConnectorKit<KitFake> };
const asWritten = await readQuality(NAME, FOLDER);

afterAll(async () => {
  await rm(TMP, { recursive: true, force: true });
});

describe('npm run new-connector', () => {
  it('writes every standard file, quality.yaml with every rule todo, a README with the questions', async () => {
    expect(exitCode).toBe(0);
    const yaml = await readFile(join(FOLDER, 'quality.yaml'), 'utf8');
    for (const rule of Object.keys(RULES)) expect(yaml).toContain(`${rule}: { status: todo`);
    const readme = await readFile(join(FOLDER, 'README.md'), 'utf8');
    for (const heading of ['Auth quirks', 'Expiry signal', 'Rate limits', 'Device model', 'Webhooks', 'Sources']) expect(readme).toContain(`## ${heading}`);
    expect(readme).toContain('ACME_AIR_CLIENT_ID');
    for (const file of ['index.ts', 'provider.ts', 'errors.ts', 'api.ts', 'devices.ts', 'commands.ts', 'poll.ts', 'fake/server.ts', 'test/kit.ts', 'test/conformance.integration.test.ts', 'test/devices.unit.test.ts']) {
      await expect(readFile(join(FOLDER, file), 'utf8')).resolves.toBeTruthy();
    }
  });

  it('the folder typechecks under the repository settings', async () => {
    const config = join(TMP, 'tsconfig.json');
    await writeFile(config, JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: [FOLDER, join(ROOT, 'test', 'setup')] }));
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    await expect(promisify(execFile)(tsc, ['--noEmit', '-p', config], { cwd: ROOT })).resolves.toBeDefined();
  }, 90_000);

  it('refuses a folder that exists, and a name that is not a connector name', async () => {
    expect(await newConnectorCommand([NAME, '--dir', TMP])).toBe(1);
    expect(await newConnectorCommand(['Bad_Name', '--dir', TMP])).toBe(1);
    expect(await newConnectorCommand([])).toBe(2);
  });
});

// Its conformance test as written: every rule todo, so only the checklist itself is checked.
runConformance(acmeAirKit, asWritten);

// And with every rule done (webhooks exempt: the template has none): the generated connector
// links with PKCE, refreshes, lists, commands and cleans up against its generated fake.
const allDone = Object.fromEntries(
  Object.keys(RULES).map((rule) => [rule, rule === 'webhooks' ? { status: 'exempt' as const, comment: 'the template has no push' } : ('done' as const)]),
);
runConformance({ ...acmeAirKit, connector: NAME }, { rules: allDone });
