import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UnrecoverableError } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revokeAtProvider } from '../../src/cloud/revocation';
import type { OAuthProvider } from '../../src/connectors/provider';

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  form: Record<string, string>;
}

let server: Server;
let apiUrl: string;
let seen: Seen[];
let answer: number;

const body = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => resolve(text));
  });

beforeEach(async () => {
  seen = [];
  answer = 200;
  server = createServer(async (req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, form: Object.fromEntries(new URLSearchParams(await body(req))) });
    res.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const base: OAuthProvider = {
  authorizePath: '/authorize',
  tokenPath: '/token',
  scopes: ['a'],
  scopeSeparator: ' ',
  clientAuth: 'basic',
  tokenParams: 'body',
  pkce: false,
};
const tokens = { accessToken: 'at-1a2b3c', refreshToken: 'rt-9f8e7d', expiresAt: undefined, scope: undefined, tokenType: undefined };
const credentials = () => ({ clientId: 'my client', clientSecret: 's&cret', apiUrl });

describe('revokeAtProvider', () => {
  it('rfc7009 with Basic client auth => one form POST per declared token, credentials form-encoded in the header', async () => {
    await revokeAtProvider({ kind: 'rfc7009', path: '/oauth/revoke', tokens: ['refresh_token', 'access_token'] }, base, credentials(), tokens, 2_000);
    const basic = `Basic ${Buffer.from('my%20client:s%26cret').toString('base64')}`;
    expect(seen).toEqual([
      { method: 'POST', path: '/oauth/revoke', authorization: basic, form: { token: 'rt-9f8e7d', token_type_hint: 'refresh_token' } },
      { method: 'POST', path: '/oauth/revoke', authorization: basic, form: { token: 'at-1a2b3c', token_type_hint: 'access_token' } },
    ]);
  });

  it('rfc7009 with body client auth and no refresh token stored => only the access token, client_id in the form', async () => {
    await revokeAtProvider(
      { kind: 'rfc7009', path: '/revoke', tokens: ['refresh_token', 'access_token'] },
      { ...base, clientAuth: 'body' },
      credentials(),
      { ...tokens, refreshToken: undefined },
      2_000,
    );
    expect(seen.map((s) => s.form)).toEqual([{ token: 'at-1a2b3c', token_type_hint: 'access_token', client_id: 'my client', client_secret: 's&cret' }]);
  });

  it("a cloud's own shape (bearer) => the access token as Bearer on the declared method; 401 counts as already revoked", async () => {
    await revokeAtProvider({ kind: 'bearer', path: '/session', method: 'DELETE' }, base, credentials(), tokens, 2_000);
    expect(seen).toEqual([{ method: 'DELETE', path: '/session', authorization: 'Bearer at-1a2b3c', form: {} }]);
    answer = 401;
    await expect(revokeAtProvider({ kind: 'bearer', path: '/session', method: 'DELETE' }, base, credentials(), tokens, 2_000)).resolves.toBeUndefined();
  });

  it('500 or 429 => a retryable error; 400 => unrecoverable (asking again cannot help); unreachable => retryable', async () => {
    const revoke = () => revokeAtProvider({ kind: 'rfc7009', path: '/r', tokens: ['refresh_token'] }, base, credentials(), tokens, 2_000);
    for (const status of [500, 503, 429]) {
      answer = status;
      const err = await revoke().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(UnrecoverableError);
      expect((err as Error).message).toContain(String(status));
    }
    answer = 400;
    await expect(revoke()).rejects.toBeInstanceOf(UnrecoverableError);
    const down = await revokeAtProvider({ kind: 'rfc7009', path: '/r', tokens: ['refresh_token'] }, base, { ...credentials(), apiUrl: 'http://127.0.0.1:1' }, tokens, 2_000).catch((e: unknown) => e);
    expect(down).not.toBeInstanceOf(UnrecoverableError);
    expect((down as Error).message).toContain('unreachable');
    expect((down as Error).message).not.toContain('rt-9f8e7d');
  });
});
