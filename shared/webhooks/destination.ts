import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may be sent. Webhook URLs come from the secret, but a URL pointing at instance
 * metadata (169.254.169.254), Lambda's Runtime API (127.0.0.1:9001) or a private network would
 * turn the rollover's POST into a request inside our own perimeter: https: only, and no address
 * that is not public, checked on every address the name resolves to. Local runs (npm start, the
 * tests) may use http: and https: to loopback only.
 */

export class WebhookDestinationError extends Error {
  override readonly name = 'WebhookDestinationError';
}

const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  // Unspecified, loopback, NAT64 (an IPv4 address in IPv6 clothes), unique local, link-local, multicast, documentation.
  // IPv4-mapped addresses (::ffff:a.b.c.d) are checked against the IPv4 rules by BlockList itself.
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const familyOf = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** Resolves every address of the host (an IP literal is its own). */
export type Resolve = (host: string) => Promise<string[]>;
const resolveAll: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Checks a webhook URL and the addresses its host resolves to; throws WebhookDestinationError
 * saying what is wrong (never the URL's path or query: they often carry tokens).
 */
export async function checkWebhookDestination(url: string, options: { localRun: boolean; resolve?: Resolve }): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookDestinationError('not a valid URL');
  }
  const allowed = options.localRun ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(parsed.protocol)) {
    throw new WebhookDestinationError(
      `scheme ${parsed.protocol} refused: webhooks are sent over https: only${options.localRun ? ' (or http: to loopback in local runs)' : ''}`,
    );
  }
  if (parsed.username !== '' || parsed.password !== '') throw new WebhookDestinationError('credentials in the URL refused');
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = await (options.resolve ?? resolveAll)(host);
  } catch {
    throw new WebhookDestinationError(`host ${parsed.host} does not resolve`);
  }
  if (addresses.length === 0) throw new WebhookDestinationError(`host ${parsed.host} does not resolve`);
  for (const address of addresses) {
    const family = familyOf(address);
    if (options.localRun) {
      if (!LOOPBACK.check(address, family)) throw new WebhookDestinationError(`address ${address} refused: local runs send webhooks to loopback only`);
    } else if (NOT_PUBLIC.check(address, family)) {
      throw new WebhookDestinationError(`address ${address} refused: private, loopback, link-local and metadata addresses are not webhook receivers`);
    }
  }
}
