import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `service-manager new-connector` from source runs the same scaffold as `npm run new-connector`
 * (whose output's suite is tested in scaffold.integration.test.ts); its compiled form, which has
 * no template to read, is tested in test/build/compiled-host.integration.test.ts.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const TMP = join(ROOT, 'test-artifacts', `cli-scaffold-${randomBytes(4).toString('hex')}`);

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'src/runtime/cli/main.ts'), ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

await mkdir(TMP, { recursive: true });
afterAll(async () => {
  await rm(TMP, { recursive: true, force: true });
});

describe('service-manager new-connector (from source)', () => {
  it('writes the connector folder and says what to do next', async () => {
    const { code, stdout, stderr } = await cli('new-connector', 'zeta-air', '--dir', TMP);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Wrote ');
    expect(stdout).toContain('quality.yaml');
    const files = await readdir(join(TMP, 'zeta-air'), { recursive: true });
    for (const file of ['index.ts', 'provider.ts', 'fake/server.ts', 'test/kit.ts', 'test/conformance.integration.test.ts', 'quality.yaml', 'README.md']) {
      expect(files).toContain(file);
    }
  }, 30_000);

  it('the scaffold\'s refusals are the command\'s exit codes: folder exists or bad name => 1, no name => 2', async () => {
    const again = await cli('new-connector', 'zeta-air', '--dir', TMP);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const bad = await cli('new-connector', 'Bad_Name', '--dir', TMP);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is not a connector name/);
    expect(existsSync(join(TMP, 'Bad_Name'))).toBe(false);
    const none = await cli('new-connector');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: new-connector <name>/);
  }, 30_000);

  it('is listed in the usage text', async () => {
    const { code, stdout } = await cli('help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/new-connector <name>/);
  }, 30_000);
});
