// Human formatting shared by commands: times, durations, sizes, release events and outcomes.
import type { ReleaseEventRecord, ReleaseRecord } from '../api/types.ts';
import { readCanaryStep, readCheck, readControl, readVerdict } from './canary-events.ts';
import {
  describePlanStep,
  formatCanaryStep,
  formatCheck,
  formatControl,
  formatSpan,
  formatVerdict,
  phaseName,
  planSteps,
} from './canary-format.ts';
import { EXIT_FAILED, EXIT_OK } from './errors.ts';
import { escapeControls } from './terminal-text.ts';

// Wide enough for "rolling back", the longest state a release shows while it runs.
const STATE_COLUMN = 12;

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local wall-clock time, e.g. 12:03:04. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '--:--:--';
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Local date and time, e.g. 2026-05-01 12:03:04. */
export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${formatClock(iso)}`;
}

/** 0.4 s, 3.2 s, 2 m 05 s, 1 h 02 m */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad2(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad2(Math.floor((s % 3600) / 60))} m`;
}

/** 512 B, 12.3 kB, 4.5 MB (powers of 1000, as disks and networks count). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/**
 * `12:03:04 verifying    2/2 instances ready (v2)`; events without a state show the release's last one.
 * `version` is the release's new version, named by canary step lines.
 */
export function formatEventLine(
  event: ReleaseEventRecord,
  lastState: string | null,
  version?: string,
): string {
  const column = phaseName(event.state ?? lastState ?? event.type);
  return `${formatClock(event.at)} ${column.padEnd(STATE_COLUMN)} ${describeEvent(event, version)}`;
}

/** Canary events are told from their data; any other event (or one with unreadable data) by its message. */
export function describeEvent(event: ReleaseEventRecord, version?: string): string {
  switch (event.type) {
    case 'canary.step': {
      const d = readCanaryStep(event);
      return d ? formatCanaryStep(d, version) : event.message;
    }
    case 'verdict': {
      const d = readVerdict(event);
      return d ? formatVerdict(d, event.at) : event.message;
    }
    case 'check': {
      const d = readCheck(event);
      return d ? formatCheck(d) : event.message;
    }
    case 'control': {
      const d = readControl(event);
      return d ? formatControl(d) : event.message;
    }
    default:
      return event.message;
  }
}

export function releaseDurationMs(release: ReleaseRecord, now = Date.now()): number {
  const end = release.finishedAt ? Date.parse(release.finishedAt) : now;
  return end - Date.parse(release.createdAt);
}

/**
 * The one-line outcome: `✔ staging now serves v2 (3.2 s)`, for a canary `✔ production now serves v2
 * (4 steps, 12m 3s)`, or `✘ release rel_… rolled back: <reason>`. `steps` is the number of canary
 * steps seen, used when the release's plan does not say.
 */
export function formatOutcome(release: ReleaseRecord, steps?: number): string {
  if (release.state === 'succeeded') {
    return `✔ ${release.environment} now serves ${release.version} (${describeTook(release, steps)})`;
  }
  const why = release.message || release.reason || 'no reason given';
  const verb: Record<string, string> = {
    failed: 'failed',
    aborted: 'aborted',
    rolled_back: 'rolled back',
  };
  const what = verb[release.state] ?? `ended in state ${release.state}`;
  return `✘ release ${release.id} ${what}: ${why}`;
}

function describeTook(release: ReleaseRecord, seenSteps?: number): string {
  const ms = releaseDurationMs(release);
  if (release.strategy !== 'canary') return formatDuration(ms);
  const steps = planSteps(release) ?? seenSteps;
  return steps ? `${steps} step${steps === 1 ? '' : 's'}, ${formatSpan(ms)}` : formatSpan(ms);
}

export function exitCodeForRelease(release: ReleaseRecord): number {
  return release.state === 'succeeded' ? EXIT_OK : EXIT_FAILED;
}

/** `release rel_… started: staging → v2 (rolling)` */
export function formatStarted(release: ReleaseRecord): string {
  const noun = release.kind === 'rollback' ? 'rollback' : 'release';
  return `${noun} ${release.id} started: ${release.environment} → ${release.version} (${release.strategy})`;
}

/** `release rel_…: production v1 → v2 (canary), progressing at step 2/4 (25 %)` */
export function formatWatching(release: ReleaseRecord): string {
  const from = release.previousVersion ? `${release.previousVersion} → ` : '→ ';
  const where = describePlanStep(release);
  const now = `${phaseName(release.state)}${where && !release.finishedAt ? ` at ${where}` : ''}`;
  return `release ${release.id}: ${release.environment} ${from}${release.version} (${release.strategy}), ${now}`;
}

/** Plain-text table: columns padded to their widest cell, no trailing spaces. */
export function formatTable(headers: string[], rawRows: string[][], indent = ''): string[] {
  // A cell is one line: a newline or an escape sequence in user text must not break the table.
  const rows = rawRows.map((r) => r.map(escapeControls));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(headers), ...rows.map(render)];
}
