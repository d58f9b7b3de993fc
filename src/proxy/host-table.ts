// Host names to what serves them, for the Host header and for SNI: an exact name first, then the
// longest wildcard. `*.example.org` matches any name that ends in `.example.org` (one label or
// more) but not example.org itself. A lookup is one Map read per label of the name, so a listener
// with 1,000 hosts costs what one with 10 does.

export interface HostTable<T> {
  readonly exact: ReadonlyMap<string, T>;
  /** Keyed by the suffix after `*.`. */
  readonly wildcard: ReadonlyMap<string, T>;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** `API.Example.com.` → `api.example.com`: host names compare lower-cased, without a final dot. */
export function normalizeHostName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Why a `hosts` entry is unusable, or undefined when it is a host name or a leading `*.` wildcard. */
export function hostNameProblem(name: string): string | undefined {
  const host = normalizeHostName(name);
  const bare = host.startsWith('*.') ? host.slice(2) : host;
  if (bare.includes('*')) return `"${name}": a wildcard may only be a whole first label, like *.example.org`;
  const labels = bare.split('.');
  if (host.length > 253 || !labels.every((l) => LABEL.test(l))) {
    return `"${name}" is not a host name (letters, digits and hyphens in dot-separated labels, like api.example.com)`;
  }
  return undefined;
}

/** Builds the table; a name listed twice keeps its first owner (callers refuse duplicates first). */
export function buildHostTable<T>(entries: Iterable<{ hosts: readonly string[]; value: T }>): HostTable<T> {
  const exact = new Map<string, T>();
  const wildcard = new Map<string, T>();
  for (const { hosts, value } of entries) {
    for (const name of hosts) {
      const host = normalizeHostName(name);
      const [map, key] = host.startsWith('*.') ? [wildcard, host.slice(2)] : [exact, host];
      if (!map.has(key)) map.set(key, value);
    }
  }
  return { exact, wildcard };
}

/** What serves `host` (already lower-cased, without a port): exact name, then the longest wildcard. */
export function lookupHost<T>(table: HostTable<T>, host: string): T | undefined {
  const found = table.exact.get(host);
  if (found !== undefined || table.wildcard.size === 0) return found;
  let dot = host.indexOf('.');
  while (dot >= 0) {
    const match = table.wildcard.get(host.slice(dot + 1));
    if (match !== undefined) return match;
    dot = host.indexOf('.', dot + 1);
  }
  return undefined;
}

/**
 * The host of a Host header, lower-cased and without its port (`Example.com:8080` → `example.com`,
 * `[::1]:8080` → `[::1]`); undefined when there is none.
 */
export function hostOfHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const colon = header.lastIndexOf(':');
  const host = colon > 0 && header.indexOf(']', colon) < 0 ? header.slice(0, colon) : header;
  return normalizeHostName(host);
}
