import type { FakeEcobee } from '../../connectors/ecobee/fake/server';
import type { TokenSet } from '../../src/cloud/provider-token-store';

/** A fresh grant from the fake, in the shape the token store keeps. */
export function fakeTokens(fake: FakeEcobee, now = Date.now()): TokenSet {
  const t = fake.issueTokens();
  return { accessToken: t.access_token, refreshToken: t.refresh_token, expiresAt: now + t.expires_in * 1000, scope: t.scope, tokenType: t.token_type };
}

export const THERMOSTAT_QUERY = {
  path: '/1/thermostat',
  query: { format: 'json', body: JSON.stringify({ selection: { selectionType: 'registered', selectionMatch: '' } }) },
};
