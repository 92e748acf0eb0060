import { describe, expect, it } from 'vitest';
import ipaddr from 'ipaddr.js';
import { classifyAddress, embeddedIPv4, isPublicAddress } from '../../src/webservices/target-guard';

/**
 * Where a subscription target may not point (issue 14, item 7): every range ipaddr.js does not call
 * `unicast`, and every IPv6 form that carries an IPv4 address, whatever that IPv4 is.
 */
const REFUSED: [string, string][] = [
  // IPv4
  ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'], ['172.16.5.4', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
  ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'],
  ['169.254.169.254', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'], ['100.127.255.254', 'carrierGradeNat'],
  ['192.0.0.8', 'reserved'], ['192.0.2.1', 'reserved'], ['198.51.100.1', 'reserved'], ['203.0.113.1', 'reserved'],
  ['240.0.0.1', 'reserved'], ['192.88.99.1', 'reserved'], ['198.18.0.1', 'reserved'], ['198.19.255.254', 'reserved'],
  ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['192.175.48.1', 'as112'], ['192.31.196.1', 'as112'],
  ['192.52.193.1', 'amt'],
  // IPv6
  ['::', 'unspecified'], ['::1', 'loopback'],
  ['fe80::1', 'linkLocal'], ['fe80::1%eth0', 'linkLocal'], ['febf::1', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'], ['fd12:3456::1', 'uniqueLocal'],
  ['ff02::1', 'multicast'], ['ff05::1:3', 'multicast'],
  ['fec0::1', 'site-local (deprecated)'], ['feff:ffff::1', 'site-local (deprecated)'],
  ['100::1', 'discard'],
  ['2001:db8::1', 'documentation'], ['2001:db8:ffff::1', 'documentation'], ['3fff::1', 'documentation'], ['2001:100::1', 'reserved'],
  ['2001:2::1', 'benchmarking'], ['2001:3::1', 'amt'], ['2001:4:112::1', 'as112v6'], ['2620:4f:8000::1', 'as112v6'],
  ['2001:10::1', 'orchid'], ['2001:20::1', 'orchid2'], ['2001:30::1', 'drone remote id'], ['5f00::1', 'segment routing'],
  // IPv4-embedding IPv6 forms, with an inner address that is private and with one that is public
  ['::ffff:127.0.0.1', 'IPv4-mapped'], ['::ffff:7f00:1', 'IPv4-mapped'], ['::ffff:10.0.0.1', 'IPv4-mapped'], ['::ffff:8.8.8.8', 'IPv4-mapped'],
  ['::127.0.0.1', 'IPv4-compatible ::/96'], ['::7f00:1', 'IPv4-compatible ::/96'], ['::a9fe:a9fe', 'IPv4-compatible ::/96'], ['::8.8.8.8', 'IPv4-compatible ::/96'],
  ['::ffff:0:127.0.0.1', 'RFC 2765/6145 translated'], ['::ffff:0:a00:1', 'RFC 2765/6145 translated'], ['::ffff:0:8.8.8.8', 'RFC 2765/6145 translated'],
  ['64:ff9b::127.0.0.1', 'NAT64 64:ff9b::/96'], ['64:ff9b::7f00:1', 'NAT64 64:ff9b::/96'], ['64:ff9b::a9fe:a9fe', 'NAT64 64:ff9b::/96'], ['64:ff9b::8.8.8.8', 'NAT64 64:ff9b::/96'],
  ['64:ff9b:1::7f00:1', 'NAT64 64:ff9b:1::/48'], ['64:ff9b:1:abcd::c0a8:1', 'NAT64 64:ff9b:1::/48'], ['64:ff9b:1::808:808', 'NAT64 64:ff9b:1::/48'],
  ['2002:7f00:1::', '6to4 2002::/16'], ['2002:a9fe:a9fe::1', '6to4 2002::/16'], ['2002:c0a8:101:1::1', '6to4 2002::/16'], ['2002:808:808::1', '6to4 2002::/16'],
  // Teredo: server 8.8.8.8, client 127.0.0.1 (stored as its complement 0x80fffffe); RFC 4380's example (192.0.2.45 client)
  ['2001:0:808:808:0:0:80ff:fffe', 'Teredo 2001::/32'], ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo 2001::/32'], ['2001::1', 'Teredo 2001::/32'],
  // Not IP addresses at all (the URL parser canonicalises literals; anything else is refused)
  ['localhost', 'not an IP'], ['', 'not an IP'], ['127.1', 'not an IP'], ['0x7f.0.0.1', 'not an IP'], ['2130706433', 'not an IP'],
];

const ALLOWED = [
  '8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '172.15.255.255', '100.128.0.1', '192.169.0.1', '11.0.0.1', '223.255.255.254',
  '2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:830::200e', '2400:cb00::1', '2001:200::1',
];

describe('isPublicAddress (pure): only ipaddr.js `unicast`, IPv4 carried in IPv6 unpacked', () => {
  it.each(REFUSED)('%s is refused (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(ALLOWED)('%s is allowed', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('classifyAddress / embeddedIPv4 (pure): the IPv4 inside an IPv6 form is unpacked and named', () => {
  it.each([
    ['::ffff:7f00:1', ['127.0.0.1']],
    ['::7f00:1', ['127.0.0.1']],
    ['::ffff:0:a00:1', ['10.0.0.1']],
    ['64:ff9b::a9fe:a9fe', ['169.254.169.254']],
    ['64:ff9b:1::c0a8:101', ['192.168.1.1']],
    ['2002:7f00:1::', ['127.0.0.1']],
    ['2002:c0a8:101:1::1', ['192.168.1.1']],
    ['2001:0:808:808:0:0:80ff:fffe', ['8.8.8.8', '127.0.0.1']],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', ['65.54.227.120', '192.0.2.45']],
    ['2606:4700:4700::1111', []],
  ])('%s carries %j', (address, inner) => {
    expect(embeddedIPv4(ipaddr.IPv6.parse(address)).map(String)).toEqual(inner);
  });

  it('the verdict names the outer range and the inner address', () => {
    expect(classifyAddress('64:ff9b::7f00:1')).toEqual({ allowed: false, reason: 'rfc6052, carries 127.0.0.1 (loopback)' });
    expect(classifyAddress('::ffff:127.0.0.1')).toEqual({ allowed: false, reason: 'ipv4Mapped, carries 127.0.0.1 (loopback)' });
    expect(classifyAddress('::a9fe:a9fe')).toEqual({ allowed: false, reason: 'ipv4Compatible, carries 169.254.169.254 (linkLocal)' });
    expect(classifyAddress('2001:0:808:808:0:0:80ff:fffe')).toEqual({ allowed: false, reason: 'teredo, carries 127.0.0.1 (loopback)' });
    expect(classifyAddress('2002:808:808::1')).toEqual({ allowed: false, reason: '6to4' });
    expect(classifyAddress('fec0::1')).toEqual({ allowed: false, reason: 'deprecatedSiteLocal' });
    expect(classifyAddress('10.1.2.3')).toEqual({ allowed: false, reason: 'private' });
    expect(classifyAddress('0x7f.1')).toEqual({ allowed: false, reason: 'not an IP address' });
    expect(classifyAddress('8.8.8.8')).toEqual({ allowed: true });
  });
});
