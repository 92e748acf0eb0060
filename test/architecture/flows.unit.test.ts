import { describe, expect, it } from 'vitest';
import { FLOWS, followFlow } from './flows';

// The three flows of docs/architecture.md stay inside their slice, the slices below it and
// runtime's base: a webhook never reaches linking, webservices or operator code, nor a poll ingest.
const REACH: Record<string, readonly string[]> = {
  webhook: ['ingest', 'sync', 'platform', 'cloud', 'connectors', 'runtime'],
  poll: ['sync', 'platform', 'cloud', 'connectors', 'runtime'],
  linking: ['linking', 'ingest', 'sync', 'platform', 'cloud', 'connectors', 'runtime'],
};

describe('the three flows', () => {
  for (const [name, entries] of Object.entries(FLOWS)) {
    it(`${name}: touches only its slice, the slices below it and runtime's base (not its composition)`, () => {
      const { files } = followFlow(entries);
      expect(files).toEqual(expect.arrayContaining([...entries]));
      const outside = files.filter((file) => !(REACH[name] ?? []).includes(file.split('/')[0] ?? ''));
      expect(outside).toEqual([]);
      const composition = files.filter((file) => /^runtime\/(main|build-services|workers|demo|http\/app)\.ts$/.test(file));
      expect(composition).toEqual([]);
    });
  }

  it('the walk follows imports through index.ts to the exporting file (it is not vacuous)', () => {
    const { files } = followFlow(FLOWS['poll'] ?? []);
    expect(files).toContain('platform/reconcile-diff.ts');
    expect(files).toContain('sync/with-sync-lock.ts');
    expect(files).not.toContain('platform/index.ts');
  });
});
