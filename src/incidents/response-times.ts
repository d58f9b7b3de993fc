// MTTA (open → acknowledged) and MTTR (open → resolved) of one incident and over many.
import type { Severity } from '../alarms/types.ts';
import type { IncidentRecord, IncidentStatus } from '../store/types.ts';
import { durationMs } from './format.ts';
import type { DurationStats, IncidentStats } from './types.ts';

export interface ResponseTimes {
  mttaMs: number | null;
  mttrMs: number | null;
}

export function responseTimes(i: IncidentRecord): ResponseTimes {
  return { mttaMs: durationMs(i.acknowledgedAt, i.openedAt), mttrMs: durationMs(i.resolvedAt, i.openedAt) };
}

export function summarizeDurations(values: number[]): DurationStats {
  if (values.length === 0) return { count: 0, meanMs: null, medianMs: null };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { count: sorted.length, meanMs: Math.round(mean), medianMs: Math.round(median) };
}

/** Counts and response times over incidents opened since `since`. */
export function computeStats(incidents: IncidentRecord[], since: string): IncidentStats {
  const byStatus: Record<IncidentStatus, number> = { open: 0, acknowledged: 0, resolved: 0 };
  const bySeverity: Record<Severity, number> = { P1: 0, P2: 0, P3: 0, P4: 0 };
  const mtta: number[] = [];
  const mttr: number[] = [];
  for (const i of incidents) {
    byStatus[i.status]++;
    bySeverity[i.severity]++;
    const t = responseTimes(i);
    if (t.mttaMs !== null) mtta.push(t.mttaMs);
    if (t.mttrMs !== null) mttr.push(t.mttrMs);
  }
  return {
    since,
    total: incidents.length,
    byStatus,
    bySeverity,
    mtta: summarizeDurations(mtta),
    mttr: summarizeDurations(mttr),
  };
}
