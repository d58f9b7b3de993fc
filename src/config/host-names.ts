// Host names as environments list them in `hosts`: a name (api.example.com) or a wildcard whose
// first label is `*` (*.example.org). They compare lower-cased and without a final dot; the config
// and the data plane (Host header, SNI) normalise them the same way.

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** `API.Example.com.` → `api.example.com`. */
export function normalizeHostName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Why a `hosts` entry is unusable, or undefined when it is a host name or a leading `*.` wildcard. */
export function hostNameProblem(name: string): string | undefined {
  const host = normalizeHostName(name);
  const bare = host.startsWith('*.') ? host.slice(2) : host;
  if (bare.includes('*')) return `"${name}": a wildcard may only be a whole first label, like *.example.org`;
  if (host.length > 253 || !bare.split('.').every((l) => LABEL.test(l))) {
    return `"${name}" is not a host name (letters, digits and hyphens in dot-separated labels, like api.example.com)`;
  }
  return undefined;
}
