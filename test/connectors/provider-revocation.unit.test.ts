import { describe, expect, it } from 'vitest';
import { oauthProviderSchema } from '../../src/connectors/provider';
import ecobee from '../../connectors/ecobee';
import netatmo from '../../connectors/netatmo';

const base = {
  authorizePath: '/authorize',
  tokenPath: '/token',
  scopes: ['a'],
  scopeSeparator: ' ',
  clientAuth: 'body',
  tokenParams: 'body',
  pkce: false,
};

describe('provider.revocation', () => {
  it('absent, rfc7009 or bearer => valid', () => {
    expect(oauthProviderSchema.safeParse(base).success).toBe(true);
    expect(oauthProviderSchema.safeParse({ ...base, revocation: { kind: 'rfc7009', path: '/oauth2/revoke', tokens: ['refresh_token'] } }).success).toBe(true);
    expect(oauthProviderSchema.safeParse({ ...base, revocation: { kind: 'bearer', path: '/session', method: 'DELETE' } }).success).toBe(true);
  });

  it.each([
    [{ kind: 'rfc7009', path: 'https://elsewhere.example/revoke', tokens: ['refresh_token'] }],
    [{ kind: 'rfc7009', path: '/revoke', tokens: [] }],
    [{ kind: 'rfc7009', path: '/revoke', tokens: ['id_token'] }],
    [{ kind: 'bearer', path: '/session', method: 'GET' }],
    [{ kind: 'soap', path: '/revoke' }],
  ])('%j => rejected at load', (revocation) => {
    expect(oauthProviderSchema.safeParse({ ...base, revocation }).success).toBe(false);
  });

  it('neither shipped cloud documents a revocation endpoint (ecobee-api.md, netatmo-api.md) => none declared', () => {
    expect('revocation' in ecobee.provider).toBe(false);
    expect('revocation' in netatmo.provider).toBe(false);
  });
});
