import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/runtime/errors';
import { renderAppError, RETRY_AFTER_S } from '../../src/runtime/http/render-error';
import { TokenError } from '../../src/webservices/token-request';

const api = { wantsHtml: false, linking: false, requestId: 'req-1' };

describe('renderAppError: one typed error, every shape', () => {
  it('api variant, JSON => {error, message, ...details}; a 5xx carries the request id and a Retry-After', () => {
    expect(renderAppError(new AppError('conflict', { details: { installationId: 'i1' } }), api)).toEqual({
      status: 409,
      headers: {},
      type: 'json',
      body: { error: 'conflict', message: 'Conflict.', installationId: 'i1' },
    });
    const busy = renderAppError(new AppError('service_unavailable', { message: 'Busy.' }), api);
    expect(busy).toMatchObject({ status: 503, headers: { 'Retry-After': String(RETRY_AFTER_S) }, body: { message: 'Busy. (request id req-1)' } });
    expect(renderAppError(new AppError('unauthorized'), api).headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
  });

  it('api variant for a browser => an escaped page; a linking page has no Bearer challenge', () => {
    const page = renderAppError(new AppError('bad_request', { message: '<script>x</script>' }), { ...api, wantsHtml: true });
    expect(page.type).toBe('html');
    expect(page.body).toContain('&lt;script&gt;');
    expect(renderAppError(new AppError('unauthorized'), { ...api, linking: true })).toMatchObject({ type: 'html', headers: {} });
  });

  it('oauth_token variant (TokenError) => RFC 6749 §5.2 body, no-store, Basic challenge on 401, its own Retry-After, JSON even for a browser', () => {
    expect(renderAppError(new TokenError('invalid_client', 'Client authentication failed.', true), { ...api, wantsHtml: true })).toEqual({
      status: 401,
      headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache', 'WWW-Authenticate': 'Basic realm="oauth", charset="UTF-8"' },
      type: 'json',
      body: { error: 'invalid_client', error_description: 'Client authentication failed.' },
    });
    expect(renderAppError(new TokenError('too_many_attempts', 'Slow down.', false, 42), api)).toMatchObject({
      status: 429,
      headers: { 'Retry-After': '42' },
    });
  });

  it('bearer variant => RFC 6750 §3 challenge with realm, error, description and scope', () => {
    const err = new AppError('insufficient_scope', {
      message: 'Needs r:devices.',
      variant: { kind: 'bearer', realm: 'smartapps', describe: true, scope: 'r:devices' },
    });
    expect(renderAppError(err, api)).toEqual({
      status: 403,
      headers: { 'WWW-Authenticate': 'Bearer realm="smartapps", error="insufficient_scope", error_description="Needs r:devices.", scope="r:devices"' },
      type: 'json',
      body: { error: 'insufficient_scope', message: 'Needs r:devices.' },
    });
    const bare = new AppError('unauthorized', { message: 'Token required.', variant: { kind: 'bearer', realm: 'smartapps', describe: false } });
    expect(renderAppError(bare, api).headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="smartapps"' });
  });
});
