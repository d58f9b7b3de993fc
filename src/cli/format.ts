// Human formatting shared by commands: times, durations, sizes, release events and outcomes.
import type { ReleaseEventRecord, ReleaseRecord } from '../api/types.ts';
import { EXIT_FAILED, EXIT_OK } from './errors.ts';

const STATE_COLUMN = 10;

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

/** `12:03:04 verifying  2/2 instances ready (v2)`; events without a state show the release's last one. */
export function formatEventLine(event: ReleaseEventRecord, lastState: string | null): string {
  const column = event.state ?? lastState ?? event.type;
  return `${formatClock(event.at)} ${column.padEnd(STATE_COLUMN)} ${event.message}`;
}

export function releaseDurationMs(release: ReleaseRecord, now = Date.now()): number {
  const end = release.finishedAt ? Date.parse(release.finishedAt) : now;
  return end - Date.parse(release.createdAt);
}

/** The one-line outcome: `✔ staging now serves v2 (3.2 s)` or `✘ release rel_… failed: <reason>`. */
export function formatOutcome(release: ReleaseRecord): string {
  const took = formatDuration(releaseDurationMs(release));
  if (release.state === 'succeeded')
    return `✔ ${release.environment} now serves ${release.version} (${took})`;
  const why = release.message || release.reason || 'no reason given';
  const verb: Record<string, string> = {
    failed: 'failed',
    aborted: 'was aborted',
    rolled_back: 'was rolled back',
  };
  const what = verb[release.state] ?? `ended in state ${release.state}`;
  return `✘ release ${release.id} ${what}: ${why}`;
}

export function exitCodeForRelease(release: ReleaseRecord): number {
  return release.state === 'succeeded' ? EXIT_OK : EXIT_FAILED;
}

/** `release rel_… started: staging → v2 (rolling)` */
export function formatStarted(release: ReleaseRecord): string {
  const noun = release.kind === 'rollback' ? 'rollback' : 'release';
  return `${noun} ${release.id} started: ${release.environment} → ${release.version} (${release.strategy})`;
}

/** Plain-text table: columns padded to their widest cell, no trailing spaces. */
export function formatTable(headers: string[], rows: string[][], indent = ''): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(headers), ...rows.map(render)];
}
