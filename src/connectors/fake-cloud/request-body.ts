import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The fields of a form body; empty for any other content type. */
export function formParams(headers: IncomingHttpHeaders, body: string): URLSearchParams {
  const type = headers['content-type'] ?? '';
  return type.toLowerCase().startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(body) : new URLSearchParams();
}

/** The query string and the form body as one set of parameters; the form body wins. */
export function mergeParams(query: URLSearchParams, form: URLSearchParams): URLSearchParams {
  const merged = new URLSearchParams(query);
  for (const [name, value] of form) merged.set(name, value);
  return merged;
}
