// The facts DORA metrics need, read from the store for one environment and period. A version's
// commit time comes from the commit times CI uploads and GitHub pushes record (docs/slo.md).
import type { Store } from '../store/types.ts';
import { sameCommit } from '../triggers/version-name.ts';
import { CHANGE_FAILURE_WINDOW_MS, computeDora, type DoraFigures } from './compute.ts';

/** Releases, incidents and versions read per computation (newest first); older ones are left out. */
export const DORA_MAX_ROWS = 2000;
export const DEFAULT_DORA_PERIOD_MS = 30 * 24 * 3600 * 1000;

export async function readDora(
  store: Pick<Store, 'releases' | 'incidents' | 'versions'>,
  q: { service: string; environment: string; from: number; to: number },
): Promise<DoraFigures> {
  const [releases, incidents, versions, commitTimes] = await Promise.all([
    store.releases.list({ service: q.service, environment: q.environment, limit: DORA_MAX_ROWS }),
    store.incidents.list({
      service: q.service,
      environment: q.environment,
      since: new Date(q.from).toISOString(),
      limit: DORA_MAX_ROWS,
    }),
    store.versions.list(q.service, DORA_MAX_ROWS),
    store.versions.commitTimes(q.service, DORA_MAX_ROWS),
  ]);
  const horizon = q.to + CHANGE_FAILURE_WINDOW_MS;
  return computeDora({
    environment: q.environment,
    from: q.from,
    to: q.to,
    releases,
    incidents: incidents.filter((i) => Date.parse(i.openedAt) < horizon),
    versions: versions.map((v) => ({
      version: v.version,
      committedAt: committedAtOf(v.gitCommit, commitTimes),
      createdAt: v.createdAt,
    })),
  });
}

/** When a version's commit was made, if CI or a push recorded it (a short SHA matches its full one). */
export function committedAtOf(
  commit: string | null,
  times: Array<{ commit: string; committedAt: string }>,
): string | null {
  if (commit === null) return null;
  return times.find((t) => sameCommit(t.commit, commit))?.committedAt ?? null;
}
