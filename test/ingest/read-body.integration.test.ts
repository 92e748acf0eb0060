import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readRawBody } from '../../src/ingest/read-body';

// A real server and client on loopback (one request at a time): what arrives in several chunks comes
// back byte for byte, and a stream that passes the limit is refused whether or not it declared its
// length.
let server: Server;
let port: number;
let received: ((outcome: { read: Promise<Buffer> }) => void) | undefined;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const read = readRawBody(req, 64);
    received?.({ read });
    read.then(
      (body) => res.end(`ok ${body.length}`),
      (err: unknown) => {
        res.statusCode = 413;
        res.end(String((err as { code?: string }).code));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends the chunks one by one (chunked unless a length is given), resolving once the server's read settles. */
async function send(chunks: Buffer[], contentLength?: number): Promise<Buffer | unknown> {
  // Wrapped: a promise resolved with a promise would adopt its outcome.
  const outcome = new Promise<{ read: Promise<Buffer> }>((resolve) => {
    received = resolve;
  });
  const req = request({ port, host: '127.0.0.1', method: 'POST', headers: contentLength === undefined ? {} : { 'content-length': contentLength } });
  req.on('error', () => undefined); // the server may drop the connection after refusing
  req.on('response', (res) => res.resume());
  for (const chunk of chunks) {
    req.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  req.end();
  return (await outcome).read.catch((err: unknown) => err);
}

it('several chunks => the exact bytes, joined', async () => {
  const parts = [Buffer.from('{"a":'), Buffer.from([0xe2, 0x82]), Buffer.from([0xac]), Buffer.from('1}')];
  expect(await send(parts)).toEqual(Buffer.concat(parts));
  expect(await send(parts, 10)).toEqual(Buffer.concat(parts));
});

it('an empty body => an empty buffer', async () => {
  expect(await send([], 0)).toEqual(Buffer.alloc(0));
});

it('declared over the limit, or streamed past it without a length => payload_too_large', async () => {
  expect(await send([Buffer.alloc(10)], 65)).toMatchObject({ code: 'payload_too_large' });
  expect(await send([Buffer.alloc(40), Buffer.alloc(40)])).toMatchObject({ code: 'payload_too_large' });
});
