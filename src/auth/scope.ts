// Which environments a request concerns, for environment-scoped tokens and for the audit log's
// target: `environment`/`env` in the path, query or JSON body, the path's `/environments/:name`,
// promote's `to`, the environment a release's git ref is tracked to, and the environment of the
// release or incident a path's id names, the environment a silence's matchers pin. A change that
// reaches every environment (a global secret, a silence matching any environment, a config
// reload) concerns EVERY_ENVIRONMENT. Read after the body is parsed (preHandler or later).
import type { FastifyRequest } from 'fastify';
import { matchRef } from '../config/track.ts';
import type { LoadedConfig } from '../config/types.ts';
import type { Store } from '../store/types.ts';

export type EnvironmentsOf = (req: FastifyRequest) => Promise<string[]>;

/** Stands for "all of them": no environment-scoped token holds a role on it. */
export const EVERY_ENVIRONMENT = '*';

export interface ScopeDeps {
  config: () => LoadedConfig;
  store: {
    releases: Pick<Store['releases'], 'get'>;
    incidents: Pick<Store['incidents'], 'get'>;
    notifications: { silences: Pick<Store['notifications']['silences'], 'get'> };
  };
}

/** Changes whose reach is every environment. */
const GLOBAL_CHANGES = /^\/api\/v1\/(secrets|config\/reload)(\/|$)/;

const NAMES = ['environment', 'env'] as const;

export function createEnvironmentResolver(deps: ScopeDeps): EnvironmentsOf {
  const memo = new WeakMap<FastifyRequest, Promise<string[]>>();
  return (req) => {
    let found = memo.get(req);
    if (!found) {
      // A lookup that fails must not let a scoped token through: it concerns every environment then.
      found = resolve(deps, req).catch(() => [EVERY_ENVIRONMENT]);
      memo.set(req, found);
    }
    return found;
  };
}

async function resolve(deps: ScopeDeps, req: FastifyRequest): Promise<string[]> {
  const url = req.routeOptions.url ?? '';
  const params = plainObject(req.params);
  const body = plainObject(req.body);
  const out = new Set<string>();
  for (const source of [params, plainObject(req.query), body]) {
    for (const key of NAMES) {
      const v = source[key];
      if (typeof v === 'string' && v !== '') out.add(v);
    }
  }
  if (url.includes('/environments/:name') && typeof params.name === 'string') out.add(params.name);
  if (url === '/api/v1/promote' && typeof body.to === 'string') out.add(body.to);
  if (url === '/api/v1/releases' && typeof body.ref === 'string' && body.environment === undefined) {
    const match = matchRef(deps.config().config, body.ref);
    if (match) out.add(match.environment);
  }
  const id = typeof params.id === 'string' ? params.id : undefined;
  if (id && url.startsWith('/api/v1/releases/:id')) {
    const release = await deps.store.releases.get(id);
    if (release) out.add(release.environment);
  }
  if (id && url.startsWith('/api/v1/incidents/:id')) {
    const incident = await deps.store.incidents.get(id);
    if (incident) out.add(incident.environment);
  }
  if (url === '/api/v1/silences' && req.method === 'POST') out.add(silencedEnvironment(body.matchers));
  if (id && url === '/api/v1/silences/:id') {
    const silence = await deps.store.notifications.silences.get(id);
    if (silence) out.add(silencedEnvironment(silence.matchers));
  }
  if (req.method !== 'GET' && GLOBAL_CHANGES.test(url)) out.add(EVERY_ENVIRONMENT);
  return [...out];
}

/** The one environment an exact `environment` matcher pins, else every environment. */
function silencedEnvironment(matchers: unknown): string {
  if (!Array.isArray(matchers)) return EVERY_ENVIRONMENT;
  const pins = matchers.filter(
    (m): m is { value: string } =>
      plainObject(m).name === 'environment' &&
      plainObject(m).isRegex !== true &&
      typeof plainObject(m).value === 'string',
  );
  return pins.length === 1 && pins[0]?.value ? pins[0].value : EVERY_ENVIRONMENT;
}

/** A plain JSON object, else empty (a streamed upload body is no place to look for names). */
export function plainObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  if (typeof (value as { pipe?: unknown }).pipe === 'function') return {};
  return value as Record<string, unknown>;
}
