import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectorLoadError, loadConnectors } from '../../src/connectors/registry';

const SDK = resolve(import.meta.dirname, '../../src/connectors/sdk.ts');
const dirs: string[] = [];

async function connectorsDir(folders: Record<string, string | null>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sm-connectors-'));
  dirs.push(dir);
  for (const [name, source] of Object.entries(folders)) {
    await mkdir(join(dir, name));
    if (source !== null) await writeFile(join(dir, name, 'index.ts'), source);
  }
  return dir;
}

const valid = (name: string, extra = '') => `
import { defineConnector } from ${JSON.stringify(SDK)};
export default defineConnector({
  name: ${JSON.stringify(name)}, title: 'T', singleInstance: true, defaultApiUrl: 'https://api.example.com',
  provider: { authorizePath: '/a', tokenPath: '/t', scopes: ['s'], scopeSeparator: ' ', clientAuth: 'body',
              tokenParams: 'body', pkce: true ${extra} },
  discover: async () => [],
  poll: { intervalMs: 60000, run: async () => ({ unchanged: true, cursor: undefined }) },
  commands: {},
});`;

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('loadConnectors', () => {
  it('loadConnectors(the repository) => ecobee with its defaults', async () => {
    const connectors = await loadConnectors();
    const ecobee = connectors.get('ecobee');
    expect(ecobee?.envPrefix).toBe('ECOBEE');
    expect(ecobee?.singleInstance).toBe(true);
    expect(ecobee?.provider.scopeSeparator).toBe(',');
  });

  it('loadConnectors(valid folder) => loaded under its name', async () => {
    const dir = await connectorsDir({ acme: valid('acme') });
    expect([...(await loadConnectors(dir)).keys()]).toEqual(['acme']);
  });

  it('loadConnectors(folder without index.ts) => ConnectorLoadError naming the folder', async () => {
    const dir = await connectorsDir({ empty: null });
    await expect(loadConnectors(dir)).rejects.toThrow(/connector folder "empty" is broken: it has no index.ts/);
  });

  it('loadConnectors(index.ts that throws on import) => ConnectorLoadError', async () => {
    const dir = await connectorsDir({ boom: 'throw new Error("kaput");' });
    await expect(loadConnectors(dir)).rejects.toThrow(ConnectorLoadError);
    await expect(loadConnectors(dir)).rejects.toThrow(/"boom".*kaput/);
  });

  it('loadConnectors(no default export) => ConnectorLoadError', async () => {
    const dir = await connectorsDir({ nodefault: 'export const x = 1;' });
    await expect(loadConnectors(dir)).rejects.toThrow(/no default export/);
  });

  it('loadConnectors(bad provider quirk) => ConnectorLoadError naming the field', async () => {
    const dir = await connectorsDir({ bad: valid('bad').replace("clientAuth: 'body'", "clientAuth: 'carrier-pigeon'") });
    await expect(loadConnectors(dir)).rejects.toThrow(/"bad".*provider\.clientAuth/);
  });

  it('loadConnectors(missing poll) => ConnectorLoadError naming the field', async () => {
    const dir = await connectorsDir({ nopoll: valid('nopoll').replace(/  poll: .*\n/, '') });
    await expect(loadConnectors(dir)).rejects.toThrow(/"nopoll".*poll/);
  });

  it('loadConnectors(name differs from folder) => ConnectorLoadError', async () => {
    const dir = await connectorsDir({ folder: valid('other') });
    await expect(loadConnectors(dir)).rejects.toThrow(/must equal the folder name/);
  });
});
