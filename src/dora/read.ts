// The facts DORA metrics need, read from the store for one environment and period.
import type { Store } from '../store/types.ts';
import { CHANGE_FAILURE_WINDOW_MS, computeDora, type DoraFigures } from './compute.ts';

/** Releases, incidents and versions read per computation (newest first); older ones are left out. */
export const DORA_MAX_ROWS = 2000;
export const DEFAULT_DORA_PERIOD_MS = 30 * 24 * 3600 * 1000;

export async function readDora(
  store: Pick<Store, 'releases' | 'incidents' | 'versions'>,
  q: { service: string; environment: string; from: number; to: number },
): Promise<DoraFigures> {
  const [releases, incidents, versions] = await Promise.all([
    store.releases.list({ service: q.service, environment: q.environment, limit: DORA_MAX_ROWS }),
    store.incidents.list({
      service: q.service,
      environment: q.environment,
      since: new Date(q.from).toISOString(),
      limit: DORA_MAX_ROWS,
    }),
    store.versions.list(q.service, DORA_MAX_ROWS),
  ]);
  const horizon = q.to + CHANGE_FAILURE_WINDOW_MS;
  return computeDora({
    environment: q.environment,
    from: q.from,
    to: q.to,
    releases,
    incidents: incidents.filter((i) => Date.parse(i.openedAt) < horizon),
    // The commit time is not recorded with versions yet: lead time counts from the upload.
    versions: versions.map((v) => ({ version: v.version, committedAt: null, createdAt: v.createdAt })),
  });
}
