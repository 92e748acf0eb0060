/** What a handler wants sent; server.ts turns it into bytes. Keeps the handlers free of node:http. */
export type Reply =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'html'; status: number; html: string }
  | { kind: 'redirect'; location: string };

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers ? { kind: 'json', status, body, headers } : { kind: 'json', status, body };

export const html = (status: number, page: string): Reply => ({ kind: 'html', status, html: page });

export const redirect = (location: string): Reply => ({ kind: 'redirect', location });
