// Numbers and times as people read them.

export function fmtRate(reqPerSec: number | null | undefined): string {
  if (reqPerSec === null || reqPerSec === undefined) return '–';
  if (reqPerSec >= 100) return `${Math.round(reqPerSec)}/s`;
  if (reqPerSec >= 10) return `${reqPerSec.toFixed(1)}/s`;
  return `${reqPerSec.toFixed(2)}/s`;
}

export function fmtPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return '–';
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (pct < 0.1) return '<0.1%';
  return `${pct < 10 ? pct.toFixed(1) : Math.round(pct)}%`;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${m % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** "12s ago", "3m ago", or a date for old times. */
export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const ms = now - Date.parse(iso);
  if (ms < 0) return fmtTime(iso);
  if (ms < 7 * 86_400_000) return `${fmtDuration(ms)} ago`;
  return fmtTime(iso);
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtClock(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** The tone (colour class) of a state word. */
export function toneOf(state: string): string {
  if (/^(succeeded|pass|OK|ready|running|resolved|delivered)$/.test(state)) return 'good';
  if (/^(failed|fail|ALARM|rolled_back|aborted|rolling_back|open|crashed|backoff|error|fatal)$/.test(state))
    return 'bad';
  if (/^(INSUFFICIENT_DATA|inconclusive|paused|acknowledged|warn|stopping|starting|pending)$/.test(state))
    return 'warn';
  return 'info';
}
