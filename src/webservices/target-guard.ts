import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

/**
 * Where subscription targets may not point unless the deployment allows it
 * (`WS_ALLOW_PRIVATE_TARGETS`): loopback, private, link-local (cloud metadata at 169.254.169.254),
 * carrier-grade NAT, benchmarking, multicast and reserved ranges. Otherwise an external client could
 * make the platform POST into its own network.
 */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** Pure: may the platform connect to this IP address? IPv4-mapped IPv6 is judged by its IPv4 part. */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped?.[1] ?? address;
  const family = isIP(ip);
  if (family === 0) return false;
  return !NON_PUBLIC.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

export class TargetRefused extends Error {
  constructor(readonly host: string) {
    super(`target ${host} resolves to a non-public address`);
    this.name = 'TargetRefused';
  }
}

function hostOf(url: URL): string {
  // URL keeps IPv6 literals in brackets.
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
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) throw new TargetRefused(host);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses non-public answers at connect time, so a name that
 * resolved to a public address when the subscription was made cannot be re-pointed inside later
 * (DNS rebinding).
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

export { hostOf as targetHost };
