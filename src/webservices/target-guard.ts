import { z } from 'zod';
import type { ClientRequest } from 'node:http';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where subscription targets may point unless the deployment allows private ones
 * (`WS_ALLOW_PRIVATE_TARGETS`): only addresses ipaddr.js classifies as plain `unicast`. Everything
 * else (private, loopback, link-local with the cloud metadata service, unique-local, carrier-grade
 * NAT, multicast, reserved, documentation, benchmarking, ...) would let an external client make the
 * platform POST into its own network. The range table is ipaddr.js's, so it follows the IANA
 * registries as that library is kept up to date, not as someone here remembers them.
 *
 * IPv6 forms that carry an IPv4 address are refused as a whole (a NAT64 gateway or a 6to4 relay
 * would forward us to an IPv4 we never judged), and their IPv4 is unpacked and judged too, so a
 * verdict names the inner address (`64:ff9b::7f00:1` is refused as NAT64 *and* as loopback).
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [ipaddr.IPv6, number];
const cidr = (text: string): Cidr => ipaddr.IPv6.parseCIDR(text);

/** Ranges ipaddr.js (2.5) leaves as `unicast` or may drop in a later version, refused all the same. */
const EXTRA_V6_RANGES: Record<string, Cidr[]> = {
  // ::a.b.c.d, deprecated by RFC 4291; `::` and `::1` are matched before as unspecified/loopback.
  ipv4Compatible: [cidr('::/96')],
  // fec0::/10, deprecated by RFC 3879 but still routed inside some networks.
  siteLocal: [cidr('fec0::/10')],
};

/** IPv4-embedding IPv6 forms that keep the IPv4 in their last 32 bits. */
const LAST_32_BITS: Cidr[] = [
  cidr('::ffff:0:0/96'), // IPv4-mapped
  cidr('::ffff:0:0:0/96'), // RFC 2765 / 6145 IPv4-translated
  cidr('64:ff9b::/96'), // NAT64 well-known prefix (RFC 6052)
  // NAT64 local-use (RFC 8215): the operator picks the prefix length inside it; /96 is the usual one.
  // The whole /48 is refused regardless, so other layouts cannot slip through.
  cidr('64:ff9b:1::/48'),
  cidr('::/96'), // IPv4-compatible
];
const SIX_TO_FOUR = cidr('2002::/16');
const TEREDO = cidr('2001::/32');

function ipv4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** Pure: every IPv4 address an IPv6 address carries (none for an ordinary IPv6 address). */
export function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = ip.parts;
  const at = (i: number): number => p[i] ?? 0;
  if (ip.match(TEREDO)) {
    // RFC 4380: the server's IPv4 in bits 32-63, the client's in the last 32 bits, inverted.
    return [ipv4From(at(2), at(3)), ipv4From(at(6) ^ 0xffff, at(7) ^ 0xffff)];
  }
  if (ip.match(SIX_TO_FOUR)) return [ipv4From(at(1), at(2))]; // RFC 3056: bits 16-47
  if (LAST_32_BITS.some((range) => ip.match(range))) return [ipv4From(at(6), at(7))];
  return [];
}

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

function rangeOf(ip: Address): string {
  const named = ip.range();
  if (named !== 'unicast' || ip.kind() === 'ipv4') return named;
  return ipaddr.subnetMatch(ip, EXTRA_V6_RANGES, 'unicast');
}

/**
 * Pure: may the platform connect to this IP address (as `net` reports it: dotted quad or IPv6, with
 * an optional zone)? Anything that is not a canonical IP literal is refused.
 */
export function classifyAddress(address: string): AddressVerdict {
  if (isIP(address) === 0) return { allowed: false, reason: 'not an IP address' };
  let ip: Address;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return { allowed: false, reason: 'not an IP address' };
  }
  const reasons: string[] = [];
  const range = rangeOf(ip);
  if (range !== 'unicast') reasons.push(range);
  if (ip.kind() === 'ipv6') {
    for (const inner of embeddedIPv4(ip as ipaddr.IPv6)) {
      const innerRange = inner.range();
      if (innerRange !== 'unicast') reasons.push(`carries ${inner.toString()} (${innerRange})`);
    }
  }
  return reasons.length === 0 ? { allowed: true } : { allowed: false, reason: reasons.join(', ') };
}

/** Pure: classifyAddress as a yes/no. */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).allowed;
}

export class TargetRefused extends Error {
  constructor(
    readonly host: string,
    readonly reason = 'resolves to a non-public address',
  ) {
    super(`target ${host}: ${reason}`);
    this.name = 'TargetRefused';
  }
}

function hostOf(url: URL): string {
  // URL keeps IPv6 literals in brackets (and has already canonicalised them, and any IPv4 spelling).
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Every address the target's host resolves to must be public (checked when a subscription is made). */
export async function assertPublicTarget(targetUrl: string): Promise<void> {
  const host = hostOf(new URL(targetUrl));
  const addresses = isIP(host)
    ? [host]
    : await new Promise<string[]>((resolve, reject) =>
        dnsLookup(host, { all: true }, (err, found: LookupAddress[]) => (err ? reject(err) : resolve(found.map((a) => a.address)))),
      );
  if (addresses.length === 0) throw new TargetRefused(host, 'resolves to nothing');
  for (const address of addresses) {
    const verdict = classifyAddress(address);
    if (!verdict.allowed) throw new TargetRefused(host, `${address} is not public: ${verdict.reason}`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that only hands out public answers, so a name that resolved to a
 * public address when the subscription was made cannot be re-pointed inside later (DNS rebinding):
 * `net` connects to exactly the addresses returned here.
 */
export function publicOnlyLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, found: LookupAddress[]) => {
    if (err) return callback(err, []);
    const allowed = found.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0) return callback(Object.assign(new TargetRefused(hostname), { code: 'ENOTPUBLIC' }), []);
    const all = (options as { all?: boolean }).all === true;
    if (all) return callback(null, allowed);
    const first = allowed[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
}

/**
 * The last word, on the socket itself: when the TCP connection is up, the peer it reached must be
 * public, or the socket is destroyed before a byte (request line, TLS ClientHello) is written. The
 * listener is prepended so it runs before the ones that flush what the request buffered. This holds
 * whatever resolved the name (a literal, `publicOnlyLookup`, a future agent), so the address checked
 * is always the address connected to.
 */
export function refuseNonPublicPeer(req: ClientRequest, onRefused: (reason: string) => void): void {
  req.once('socket', (socket: Socket) => {
    const check = (): void => {
      const peer = socket.remoteAddress ?? '';
      const verdict = classifyAddress(peer);
      if (verdict.allowed) return;
      const reason = `connected peer ${peer} is not public: ${verdict.reason}`;
      onRefused(reason);
      socket.destroy(new TargetRefused(peer, reason));
    };
    // A reused keep-alive socket is already connected (it passed this check when it connected).
    if (socket.remoteAddress !== undefined && !socket.connecting) check();
    else socket.prependOnceListener('connect', check);
  });
}

export { hostOf as targetHost };

/** A delivery target as a request names it: an absolute http(s) URL without credentials (whether it may be http or private is decided later). */
export const targetUrlSchema = z
  .string()
  .max(2000)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL without credentials');
