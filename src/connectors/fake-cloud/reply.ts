import type { ServerResponse } from 'node:http';

/** What a fake's handler wants sent; the server turns it into bytes. Keeps handlers free of node:http. */
export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'html'; status: number; html: string }
  | { kind: 'redirect'; location: string };

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers ? { kind: 'json', status, body, headers } : { kind: 'json', status, body };

export const html = (status: number, page: string): Reply => ({ kind: 'html', status, html: page });

export const redirect = (location: string): Reply => ({ kind: 'redirect', location });

/** The fakes' pages run no script and are never framed: the same policy as the host's pages. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** `jsonType` is the cloud's own content-type spelling: clients have been known to trip on it. */
export function writeReply(res: ServerResponse, reply: Reply, jsonType: string): void {
  if (res.destroyed || res.headersSent) return;
  switch (reply.kind) {
    case 'json':
      res.writeHead(reply.status, { 'content-type': jsonType, 'x-content-type-options': 'nosniff', ...reply.headers });
      res.end(JSON.stringify(reply.body) ?? '');
      return;
    case 'html':
      res.writeHead(reply.status, PAGE_HEADERS);
      res.end(reply.html);
      return;
    case 'redirect':
      res.writeHead(302, { location: reply.location, 'cache-control': 'no-store' });
      res.end();
      return;
  }
}
