import { describe, expect, it } from 'vitest';
import { classifyNavigation, isSameOriginSubmission, type RequestSource } from '../../src/runtime/http/navigation';

const OURS = 'https://sm.example.com';

function source(partial: Partial<RequestSource>): RequestSource {
  return { secFetchSite: undefined, origin: undefined, referer: undefined, ...partial };
}

describe('classifyNavigation', () => {
  it.each([
    ['Sec-Fetch-Site: none', { secFetchSite: 'none' }, 'direct'],
    ['no metadata, no Origin, no Referer (the app, an old client)', {}, 'direct'],
    ['Sec-Fetch-Site: same-origin', { secFetchSite: 'same-origin' }, 'same-origin'],
    ['our Referer, no metadata', { referer: `${OURS}/connectors/acme/setup?x=1` }, 'same-origin'],
    ['our Referer with the default port spelled out', { referer: 'https://SM.example.com:443/x' }, 'same-origin'],
    ['our Origin with Sec-Fetch-Site: same-origin', { secFetchSite: 'same-origin', origin: OURS }, 'same-origin'],
    ['Sec-Fetch-Site: cross-site', { secFetchSite: 'cross-site' }, 'cross-site'],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { secFetchSite: 'same-site' }, 'cross-site'],
    ['an unknown Sec-Fetch-Site value', { secFetchSite: 'sideways' }, 'cross-site'],
    ['a foreign Referer, no metadata', { referer: 'https://attacker.example/trap' }, 'cross-site'],
    ['a foreign Origin, no metadata', { origin: 'https://attacker.example' }, 'cross-site'],
    ['Origin: null', { origin: 'null' }, 'cross-site'],
    ['an unparsable Referer', { referer: 'not a url' }, 'cross-site'],
    ['our host over http', { referer: 'http://sm.example.com/x' }, 'cross-site'],
    ['our host on another port', { referer: 'https://sm.example.com:8443/x' }, 'cross-site'],
    ['a subdomain of ours', { referer: 'https://evil.sm.example.com/x' }, 'cross-site'],
    ['Sec-Fetch-Site: none contradicted by a foreign Referer', { secFetchSite: 'none', referer: 'https://attacker.example/' }, 'cross-site'],
    ['Sec-Fetch-Site: same-origin contradicted by a foreign Origin', { secFetchSite: 'same-origin', origin: 'https://attacker.example' }, 'cross-site'],
  ] as const)('classifyNavigation(%s) => %s', (_name, partial, expected) => {
    expect(classifyNavigation(source(partial), OURS)).toBe(expected);
  });
});

describe('isSameOriginSubmission', () => {
  it.each([
    ['our Origin and Sec-Fetch-Site: same-origin', { origin: OURS, secFetchSite: 'same-origin' }, true],
    ['no Origin and no metadata (an old browser)', {}, true],
    ['our Origin only', { origin: OURS }, true],
    ['a foreign Origin', { origin: 'https://attacker.example', secFetchSite: 'same-origin' }, false],
    ['Origin: null', { origin: 'null', secFetchSite: 'same-origin' }, false],
    ['Sec-Fetch-Site: cross-site', { secFetchSite: 'cross-site' }, false],
    ['Sec-Fetch-Site: same-site', { secFetchSite: 'same-site', origin: 'https://other.sm.example.com' }, false],
    ['Sec-Fetch-Site: none (a form POST never is)', { secFetchSite: 'none' }, false],
    ['a foreign Referer', { referer: 'https://attacker.example/x' }, false],
  ] as const)('isSameOriginSubmission(%s) => %s', (_name, partial, expected) => {
    expect(isSameOriginSubmission(source(partial), OURS)).toBe(expected);
  });
});
