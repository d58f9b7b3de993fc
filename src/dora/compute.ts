// DORA metrics of one environment over a period, pure: releases, incidents and the
// commit times of versions in, the four figures out. Scripted histories are in test/dora.test.ts.
//
// - Deployment frequency: releases that succeeded (deploy, release, promote; not rollbacks or
//   restarts), per day of the period.
// - Lead time for changes: commit time → the release of that version succeeded. Versions without a
//   known commit time count from their upload (the version's creation) instead, and are counted.
// - Change failure rate: of the releases that reached production state (succeeded or rolled back),
//   those rolled back, or followed by an incident opened within CHANGE_FAILURE_WINDOW_MS.
// - Time to restore: incident opened → resolved, for incidents opened in the period and resolved.
export const CHANGE_FAILURE_WINDOW_MS = 24 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

export interface DoraRelease {
  id: string;
  kind: string;
  version: string;
  state: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface DoraIncident {
  openedAt: string;
  resolvedAt: string | null;
}

export interface DoraVersion {
  version: string;
  /** When the version's commit was made, as CI or the webhook said; null when unknown. */
  committedAt: string | null;
  createdAt: string;
}

export interface DurationSummary {
  count: number;
  /** Median and mean in ms; null without any sample. */
  medianMs: number | null;
  meanMs: number | null;
}

export interface DoraFigures {
  environment: string;
  from: string;
  to: string;
  deployments: number;
  deploymentsPerDay: number;
  leadTime: DurationSummary & { fromUpload: number };
  changeFailureRate: number | null;
  failedChanges: number;
  changes: number;
  timeToRestore: DurationSummary;
}

const CHANGE_KINDS = new Set(['deploy', 'release', 'promote']);

export function computeDora(input: {
  environment: string;
  from: number;
  to: number;
  releases: DoraRelease[];
  incidents: DoraIncident[];
  versions: DoraVersion[];
}): DoraFigures {
  const { from, to } = input;
  const inPeriod = (iso: string | null) => iso !== null && Date.parse(iso) >= from && Date.parse(iso) < to;
  const changes = input.releases.filter(
    (r) => CHANGE_KINDS.has(r.kind) && inPeriod(r.finishedAt ?? r.createdAt),
  );
  const succeeded = changes.filter((r) => r.state === 'succeeded' && inPeriod(r.finishedAt));
  const reached = changes.filter((r) => r.state === 'succeeded' || r.state === 'rolled_back');

  const versions = new Map(input.versions.map((v) => [v.version, v]));
  const leads: number[] = [];
  let fromUpload = 0;
  for (const r of succeeded) {
    const v = versions.get(r.version);
    if (!v || r.finishedAt === null) continue;
    const start = v.committedAt ?? v.createdAt;
    if (v.committedAt === null) fromUpload++;
    leads.push(Math.max(0, Date.parse(r.finishedAt) - Date.parse(start)));
  }

  const opened = input.incidents.map((i) => Date.parse(i.openedAt));
  const failed = reached.filter((r) => {
    if (r.state === 'rolled_back') return true;
    const done = Date.parse(r.finishedAt ?? r.createdAt);
    return opened.some((t) => t >= done && t < done + CHANGE_FAILURE_WINDOW_MS);
  });

  const restores = input.incidents
    .filter((i) => inPeriod(i.openedAt) && i.resolvedAt !== null)
    .map((i) => Date.parse(i.resolvedAt as string) - Date.parse(i.openedAt));

  return {
    environment: input.environment,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    deployments: succeeded.length,
    deploymentsPerDay: succeeded.length / ((to - from) / DAY_MS),
    leadTime: { ...summarize(leads), fromUpload },
    changeFailureRate: reached.length > 0 ? failed.length / reached.length : null,
    failedChanges: failed.length,
    changes: reached.length,
    timeToRestore: summarize(restores),
  };
}

export function summarize(samples: number[]): DurationSummary {
  if (samples.length === 0) return { count: 0, medianMs: null, meanMs: null };
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    count: sorted.length,
    medianMs: median,
    meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}
