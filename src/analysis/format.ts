// How analysis writes its numbers into messages people read in events, the CLI and the dashboard.

/** 0.042 → "4.2%", 0.0035 → "0.35%", 1 → "100%". */
export function formatPercent(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

/** Milliseconds, whole from 10 ms up: "612 ms", "4.3 ms", "n/a" when unknown. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'n/a';
  return `${Math.abs(ms) >= 10 ? Math.round(ms) : Number(ms.toFixed(1))} ms`;
}

/** "p=0.012", "p<0.0001". */
export function formatP(p: number): string {
  return p < 0.0001 ? 'p<0.0001' : `p=${Number(p.toPrecision(2))}`;
}

/** A test statistic with two decimals: "z=3.14". */
export function formatStat(name: string, value: number): string {
  return `${name}=${Number(value.toFixed(2))}`;
}

/** An elapsed time for people: "850ms", "45s", "2m 10s", "1h 5m". */
export function formatElapsed(ms: number): string {
  const totalSeconds = Math.floor(Math.max(0, ms) / 1000);
  if (totalSeconds === 0) return `${Math.max(0, Math.round(ms))}ms`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return seconds > 0 ? `${minutes}m ${seconds}s` : `${minutes}m`;
  return `${seconds}s`;
}

/** "1 request", "12 requests". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
