// Which environments may share a listen address: each must name `hosts`, no host twice, the same
// address written the same way, and the same listener settings (HTTPS or not, redirect, header
// limit). A pure check over claims that carry their file and line, so one file's environments and
// several services' files are checked alike; errors name both owners, each with file and line.
import { doAddressesOverlap, type HostPort, parseHostPort } from './address.ts';
import { normalizeHostName } from './host-names.ts';
import { DEFAULT_MAX_HEADER_SIZE } from './schema-environment.ts';
import { parseSize } from './units.ts';

export interface ListenerClaim {
  file: string;
  /** '' when unknown (a file without a valid `service:`). */
  service: string;
  environment: string;
  listen: string;
  /** As written; undefined when the environment names none. */
  hosts: readonly string[] | undefined;
  /** 1-based line of the `listen` value. */
  line: number;
  /** What a shared listener must agree on (scheme, redirect, header limit); compared when both set it. */
  settings?: string;
}

export interface ListenerConflict {
  /** The later claim, where the error is reported. */
  claim: ListenerClaim;
  /** The earlier claim it clashes with. */
  other: ListenerClaim;
  /** The host both name, when that is the clash (normalised). */
  host?: string;
  message: string;
}

/** Every clash between claims; each claim is compared with those before it on the same port. */
export function findListenerConflicts(claims: readonly ListenerClaim[]): ListenerConflict[] {
  const conflicts: ListenerConflict[] = [];
  const byPort = new Map<number, Array<{ claim: ListenerClaim; address: HostPort }>>();
  for (const claim of claims) {
    const address = parseHostPort(claim.listen);
    if (!address) continue;
    const earlierOnPort = byPort.get(address.port) ?? [];
    byPort.set(address.port, earlierOnPort);
    for (const earlier of earlierOnPort) {
      if (!doAddressesOverlap(earlier.address, address)) continue;
      const found = clashOf(earlier.claim, earlier.address, claim, address);
      conflicts.push(...found);
      if (found.some((c) => c.host === undefined)) break;
    }
    earlierOnPort.push({ claim, address });
  }
  return conflicts;
}

function clashOf(other: ListenerClaim, a: HostPort, claim: ListenerClaim, b: HostPort): ListenerConflict[] {
  const both = `${ownerOf(other)} and ${ownerOf(claim)}`;
  const conflict = (message: string, host?: string) => ({ claim, other, message, ...(host ? { host } : {}) });
  const without = [other, claim].find((c) => c.hosts === undefined || c.hosts.length === 0);
  if (without) {
    return [
      conflict(
        `${both} both listen on ${claim.listen}: give each its own port, or name each one's hosts (${without.environment} names none)`,
      ),
    ];
  }
  if (a.host !== b.host) {
    return [
      conflict(
        `${both} listen on overlapping addresses (${other.listen} and ${claim.listen}): to share a listener, write the same address in both`,
      ),
    ];
  }
  if (other.settings !== undefined && claim.settings !== undefined && other.settings !== claim.settings) {
    return [
      conflict(
        `${both} share ${claim.listen} but differ in TLS, tls.redirect_http or limits.max_header_size (${other.settings} vs ${claim.settings}): environments on one address must agree on them`,
      ),
    ];
  }
  const taken = new Set((other.hosts ?? []).map(normalizeHostName));
  return (claim.hosts ?? [])
    .map(normalizeHostName)
    .filter((host) => taken.has(host))
    .map((host) =>
      conflict(
        `${both} both serve the host ${host} on ${claim.listen}: a host belongs to one environment per address`,
        host,
      ),
    );
}

/** `environment production of service api (services/api.yaml:7)`. */
function ownerOf(c: ListenerClaim): string {
  const service = c.service === '' ? '' : ` of service ${c.service}`;
  return `environment ${c.environment}${service} (${c.file}:${c.line})`;
}

type Raw = Record<string, unknown>;

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Raw)[key]
    : undefined;
}

/**
 * The claims of one parsed (not yet validated) gantry.yaml; `lineOf` gives the line of a path's
 * value. Environments whose `listen` is not a string are left out (the schema reports them).
 */
export function listenerClaimsOf(
  raw: unknown,
  file: string,
  lineOf: (path: readonly PropertyKey[]) => number,
): ListenerClaim[] {
  const service = field(raw, 'service');
  const environments = field(raw, 'environments');
  if (typeof environments !== 'object' || environments === null) return [];
  const claims: ListenerClaim[] = [];
  for (const [environment, env] of Object.entries(environments)) {
    const listen = field(env, 'listen');
    if (typeof listen !== 'string') continue;
    const hosts = field(env, 'hosts');
    claims.push({
      file,
      service: typeof service === 'string' ? service : '',
      environment,
      listen,
      hosts: Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string') : undefined,
      line: lineOf(['environments', environment, 'listen']),
      settings: listenerSettingsOf(env),
    });
  }
  return claims;
}

/** `https, redirect 0.0.0.0:80, headers 16384`: what environments sharing a listener agree on. */
function listenerSettingsOf(env: unknown): string {
  const tls = field(env, 'tls');
  const redirect = field(tls, 'redirect_http');
  const size = field(field(env, 'limits'), 'max_header_size');
  const headers = typeof size === 'string' ? (parseSize(size) ?? size) : DEFAULT_MAX_HEADER_SIZE;
  return [
    tls === undefined ? 'http' : 'https',
    ...(typeof redirect === 'string' ? [`redirect ${redirect}`] : []),
    `headers ${headers}`,
  ].join(', ');
}
