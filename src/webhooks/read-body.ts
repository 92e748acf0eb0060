import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors';

/**
 * Reads the raw request bytes (connectors verify signatures on them), refusing early on a declared
 * length over the limit and stopping as soon as the stream passes it.
 */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new AppError('payload_too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new AppError('payload_too_large');
    chunks.push(buf);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
