// host:port listen addresses: parsing and the overlap rule used to keep listeners unique.
import { isIP } from 'node:net';

export interface HostPort {
  /** Host without IPv6 brackets: `127.0.0.1`, `::1`, `localhost`. */
  host: string;
  /** 0 asks the system for a free port. */
  port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`, `0.0.0.0:80`; undefined when malformed. */
export function parseHostPort(text: string): HostPort | undefined {
  const match = HOST_PORT.exec(text);
  if (!match) return undefined;
  const [, v6, name = '', portText = ''] = match;
  const port = Number(portText);
  if (port > 65535) return undefined;
  if (v6 !== undefined) return isIP(v6) === 6 ? { host: v6, port } : undefined;
  if (isIP(name) === 4 || HOSTNAME.test(name)) return { host: name, port };
  return undefined;
}

function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower === 'localhost' ? '127.0.0.1' : lower;
}

/**
 * Whether two listeners would fight over the same socket: same port (0 never clashes, each gets
 * its own) and the same host, or either one listening on every interface.
 */
export function doAddressesOverlap(a: HostPort, b: HostPort): boolean {
  if (a.port === 0 || b.port === 0 || a.port !== b.port) return false;
  const hostA = normalizeHost(a.host);
  const hostB = normalizeHost(b.host);
  return hostA === hostB || WILDCARD_HOSTS.has(hostA) || WILDCARD_HOSTS.has(hostB);
}
