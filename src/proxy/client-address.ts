// Who the client of a request is, for per-client limits. The socket's peer address, unless that
// peer is a trusted proxy: then X-Forwarded-For is read from the right (each proxy appends the
// address it received the request from), skipping trusted proxies, and the first address that is
// not one of them is the client. Entries further left were written by the client and prove nothing.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export type ClientOf = (req: IncomingMessage) => string;

export const socketAddress: ClientOf = (req) => req.socket.remoteAddress ?? '';

/** A resolver for these trusted proxies (addresses or CIDR ranges); the socket's address without any. */
export function createClientResolver(trustedProxies: readonly string[] | undefined): ClientOf {
  if (!trustedProxies || trustedProxies.length === 0) return socketAddress;
  const trusted = buildTrustList(trustedProxies);
  return (req) => {
    const peer = normalizeAddress(req.socket.remoteAddress ?? '');
    if (!isTrusted(trusted, peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    if (header === undefined) return peer;
    const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeAddress(stripPort((hops[i] as string).trim()));
      // A malformed entry means the proxy that wrote it cannot be believed: stop at the last good hop.
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!isTrusted(trusted, hop)) return hop;
    }
    return client;
  };
}

export function buildTrustList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const plain = prefix === undefined ? normalizeAddress(address) : address;
    const family = isIP(plain);
    if (family === 0) throw new Error(`trusted proxy "${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(plain, type);
    else list.addSubnet(plain, Number(prefix), type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `::ffff:10.1.2.3` (an IPv4 client on a dual-stack socket) is 10.1.2.3. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** `1.2.3.4:5678` → `1.2.3.4`, `[::1]:5678` → `::1`; anything else unchanged. */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end > 0 ? hop.slice(1, end) : hop;
  }
  const colon = hop.indexOf(':');
  return colon > 0 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}
