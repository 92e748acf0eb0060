import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument, openApiPath, type ApiOperation } from '../../src/runtime/http/openapi';

const info = { title: 't', version: '1', serverUrl: 'http://x' };
const op = (over: Partial<ApiOperation> = {}): ApiOperation => ({
  method: 'get',
  path: '/api/things/:id',
  tag: 'things',
  auth: 'admin',
  summary: 'a thing',
  responses: { 200: { description: 'ok', schema: z.object({ secret: z.string().startsWith('whsec_'), at: z.iso.datetime() }) } },
  ...over,
});
type Doc = { paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; responses: Record<string, { content?: { 'application/json': { schema: { properties: Record<string, { format?: string; pattern?: string }> } } } }> }>> };

describe('openApiDocument', () => {
  it('`:id` => `{id}`, a path parameter; zod-only formats dropped (their pattern kept), standard ones kept', () => {
    expect(openApiPath('/api/a/:id/b/:deviceId')).toBe('/api/a/{id}/b/{deviceId}');
    const doc = openApiDocument([op()], info) as unknown as Doc;
    const get = doc.paths['/api/things/{id}']?.['get'];
    expect(get?.parameters).toEqual([{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]);
    const props = get?.responses['200']?.content?.['application/json'].schema.properties;
    expect(props?.['secret']?.format).toBeUndefined();
    expect(props?.['secret']?.pattern).toBe('^whsec_.*');
    expect(props?.['at']?.format).toBe('date-time');
  });

  it('an admin operation lists 401 and 403 with the error body; two operations for one route => throws', () => {
    const doc = openApiDocument([op()], info) as unknown as Doc;
    expect(Object.keys(doc.paths['/api/things/{id}']?.['get']?.responses ?? {}).sort()).toEqual(['200', '401', '403', '503']);
    expect(() => openApiDocument([op(), op()], info)).toThrow(/two operations describe GET \/api\/things\/:id/);
  });
});
