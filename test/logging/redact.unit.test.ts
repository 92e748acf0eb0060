import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logging/logger';

it('logger => never prints token-bearing fields', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger('info', sink);
  log.info(
    {
      access_token: 'AT-secret-1',
      refresh_token: 'RT-secret-2',
      tokens: { accessToken: 'AT-secret-3', refreshToken: 'RT-secret-4' },
      headers: { authorization: 'Bearer AT-secret-5' },
      query: { code: 'CODE-secret-6', state: 'STATE-secret-7', access_token: 'AT-secret-8' },
      client_secret: 'CS-secret-9',
      installationId: 'visible-id',
    },
    'token-bearing object',
  );
  const out = lines.join('');
  expect(out).toContain('visible-id');
  expect(out).toContain('[redacted]');
  expect(out).not.toMatch(/secret-\d/);
});
