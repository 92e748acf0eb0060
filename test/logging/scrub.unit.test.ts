import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from '../../src/runtime/logging/logger';
import { scrubText, scrubValue } from '../../src/runtime/logging/redact';

it('scrubText => token-bearing URL parameters, JSON fields and Authorization values are censored', () => {
  expect(scrubText('GET /connectors/x/webhooks/1?access_token=AT-1&x=2')).toBe('GET /connectors/x/webhooks/1?access_token=[redacted]&x=2');
  expect(scrubText('https://h/cb?code=C-2&state=S-3')).toBe('https://h/cb?code=[redacted]&state=[redacted]');
  expect(scrubText('failed: {"access_token":"AT-4","refresh_token": "RT-5","expires_in":3600}')).toBe(
    'failed: {"access_token":"[redacted]","refresh_token":"[redacted]","expires_in":3600}',
  );
  expect(scrubText('header Authorization: Bearer eyJhbGciOi.x-y_z')).toBe('header Authorization: Bearer [redacted]');
  expect(scrubText('Basic Zm9vOmJhcg==')).toBe('Basic [redacted]');
  // Ordinary text is left alone.
  expect(scrubText('poll applied to 3 devices')).toBe('poll applied to 3 devices');
  expect(scrubText('errorcode=5 kept')).toBe('errorcode=5 kept');
});

it('scrubValue => secret-named fields at any depth, errors and cycles', () => {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic['self'] = cyclic;
  const err = new Error('token request to https://api/token?refresh_token=RT-6 failed');
  const out = scrubValue({
    a: { b: { c: { tokens: { accessToken: 'AT-7' }, Authorization: 'Bearer AT-8', cookie: 'sid=S-9' } } },
    list: [{ client_secret: 'CS-10' }],
    err,
    cyclic,
    installationId: 'visible',
    code: 'invalid_state',
  });
  const text = JSON.stringify(out);
  expect(text).not.toMatch(/AT-7|AT-8|S-9|CS-10|RT-6/);
  expect(text).toContain('visible');
  expect(text).toContain('[truncated]');
  expect((out as { err: Error }).err).toBeInstanceOf(Error);
  expect((out as { err: Error }).err.message).toContain('refresh_token=[redacted]');
  // scrubValue copies: the caller's object is untouched.
  expect(err.message).toContain('RT-6');
});

it('logger => the message and bound fields are scrubbed as well', () => {
  const out: string[] = [];
  const log = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _e, done) {
        out.push(chunk.toString());
        done();
      },
    }),
  );
  log.info({ deep: { nested: { password: 'PW-11' } } }, 'calling https://cloud/x?access_token=AT-12');
  log.warn(new Error('Authorization: Bearer AT-13 was refused'));
  const text = out.join('');
  expect(text).not.toMatch(/PW-11|AT-12|AT-13/);
  expect(text).toContain('access_token=[redacted]');
  expect(text).toContain('"stack"');
  expect(text).toContain('"type":"Error"');
});
