// What the record already knows for a post-mortem: the alarms' evidence (symptoms and impact),
// releases that may have caused the incident, and what was done about it.
import type { Severity } from '../alarms/types.ts';
import type { IncidentRecord, ReleaseRecord } from '../store/types.ts';
import type { TransitionEvidence } from './alarm-entries.ts';
import { formatMetricValue, formatSpan, formatUtc } from './format.ts';
import { LOOKBACK_MS } from './timeline.ts';
import type { TimelineEntry } from './types.ts';

export interface AlarmSymptom {
  alarm: string;
  metric: string;
  severity: Severity;
  threshold: { above?: number; below?: number };
  /** Reason of the first move to ALARM, with its numbers. */
  reason: string;
  datapoints: Array<number | null>;
  /** The worst datapoint of every ALARM transition (highest for `above`, lowest for `below`). */
  worst: number | null;
  firstAlarmAt: string;
  /** When it went back to OK for the last time, if it did and stayed there. */
  recoveredAt: string | null;
  runbook: string | null;
  description: string | null;
}

export function alarmSymptoms(timeline: TimelineEntry[]): AlarmSymptom[] {
  const byAlarm = new Map<string, AlarmSymptom>();
  for (const e of timeline) {
    if (e.source !== 'incident' || e.type !== 'alarm' || !e.data) continue;
    const ev = e.data as unknown as TransitionEvidence;
    let s = byAlarm.get(ev.alarm);
    if (ev.to === 'ALARM') {
      if (!s) {
        s = {
          alarm: ev.alarm,
          metric: ev.metric,
          severity: ev.severity,
          threshold: ev.threshold,
          reason: ev.reason,
          datapoints: ev.datapoints,
          worst: null,
          firstAlarmAt: e.at,
          recoveredAt: null,
          runbook: ev.runbook,
          description: ev.description,
        };
        byAlarm.set(ev.alarm, s);
      }
      s.worst = worstOf(s.worst, ev.datapoints, ev.threshold);
      s.recoveredAt = null;
    } else if (s && ev.to === 'OK') {
      s.recoveredAt = e.at;
    }
  }
  return [...byAlarm.values()];
}

function worstOf(
  current: number | null,
  points: Array<number | null>,
  threshold: { above?: number; below?: number },
): number | null {
  const values = points.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (current !== null) values.push(current);
  if (values.length === 0) return null;
  return threshold.below !== undefined && threshold.above === undefined
    ? Math.min(...values)
    : Math.max(...values);
}

/** "http_5xx_rate above 1%" */
export function describeThreshold(s: Pick<AlarmSymptom, 'metric' | 'threshold'>): string {
  const parts: string[] = [];
  if (s.threshold.above !== undefined) parts.push(`above ${formatMetricValue(s.metric, s.threshold.above)}`);
  if (s.threshold.below !== undefined) parts.push(`below ${formatMetricValue(s.metric, s.threshold.below)}`);
  return `${s.metric} ${parts.join(' or ') || 'out of bounds'}`;
}

/** Releases that started in the look-back before the incident opened: the first suspects. */
export function suspectReleases(incident: IncidentRecord, releases: ReleaseRecord[]): string[] {
  const opened = Date.parse(incident.openedAt);
  return releases
    .filter((r) => {
      const started = Date.parse(r.createdAt);
      return started <= opened && started >= opened - LOOKBACK_MS && r.kind !== 'rollback';
    })
    .map((r) => {
      const before = formatSpan(opened - Date.parse(r.createdAt));
      const from = r.previousVersion ?? 'nothing';
      return `Release ${r.id} started ${before} before the incident opened: ${r.environment} ${from} → ${r.version} (${r.strategy}), now ${r.state.replace('_', ' ')}. TODO: confirm or rule out.`;
    });
}

/** What releases did about it once the incident was open: rollbacks and new deploys. */
export function remediations(incident: IncidentRecord, releases: ReleaseRecord[]): string[] {
  const opened = Date.parse(incident.openedAt);
  const out: string[] = [];
  for (const r of releases) {
    if (!r.finishedAt || Date.parse(r.finishedAt) < opened) continue;
    const when = formatUtc(r.finishedAt);
    if (r.state === 'rolled_back') {
      out.push(
        `Rolled back release ${r.id} of ${r.version} at ${when}: ${r.message ?? 'no reason recorded'}.`,
      );
    } else if (r.kind === 'rollback' && r.state === 'succeeded') {
      out.push(
        `Rolled back ${r.environment} from ${r.previousVersion ?? 'the previous version'} to ${r.version} (release ${r.id}) at ${when}.`,
      );
    } else if (r.state === 'succeeded') {
      out.push(`Deployed ${r.version} to ${r.environment} (release ${r.id}) at ${when}.`);
    }
  }
  return out;
}

/** Instance crashes in the look-back and during the incident, from the environment's events. */
export function countCrashes(timeline: TimelineEntry[]): number {
  return timeline.filter((e) => e.type === 'environment.instance.exited').length;
}
