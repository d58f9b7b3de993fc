// The units gantry.yaml accepts, as pure parse/format functions: durations (500ms, 1h30m),
// rates (1% or 0.01), sizes (512MB, binary multiples) and per-second rates (100/s).

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Pattern of a duration string, also written into the JSON Schema. */
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(ms|s|m|h|d))+$';
export const PERCENT_PATTERN = '^\\d+(\\.\\d+)?%$';
export const SIZE_PATTERN = '^\\d+(\\.\\d+)?\\s?([KMGT]i?)?B$';
export const PER_SECOND_PATTERN = '^\\d+(\\.\\d+)?/(s|m|h)$';

/**
 * The longest duration accepted anywhere (gantry.yaml, the API's durations and relative times, the
 * CLI's options): 100 years. Longer ones (`99999999999d`) would put times outside what a date can
 * hold; they are refused as malformed, and messages name this bound (MAX_DURATION_TEXT).
 */
export const MAX_DURATION_MS = 36_500 * 86_400_000;
export const MAX_DURATION_TEXT = 'at most 36500d (100 years)';

/** Milliseconds of `500ms`, `10s`, `5m`, `1h`, `1d` or a sum like `1h30m`; undefined when malformed or above MAX_DURATION_MS. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    total += Number(amount) * (DURATION_UNITS[unit ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) && total <= MAX_DURATION_MS ? Math.round(total) : undefined;
}

/** The shortest exact spelling of a duration: 10000 → `10s`, 90000 → `90s`, 3600000 → `1h`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit] ?? 1;
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A fraction from 0 to 1, from `1%` or `0.01`; undefined when malformed or out of range. */
export function parseRate(value: string | number): number | undefined {
  if (typeof value === 'number') return value >= 0 && value <= 1 ? value : undefined;
  if (!new RegExp(PERCENT_PATTERN).test(value)) return undefined;
  const percent = Number(value.slice(0, -1));
  // Dividing 1.1 by 100 gives 0.011000000000000001; rounding keeps `1.1%` equal to 0.011.
  return percent <= 100 ? Number((percent / 100).toPrecision(12)) : undefined;
}

const SIZE_MULTIPLIERS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Bytes of `512MB`, `2GB`, `10KiB`, `100B`; K/M/G/T are binary multiples (1KB = 1024 bytes). */
export function parseSize(text: string): number | undefined {
  const match = new RegExp(SIZE_PATTERN).exec(text);
  if (!match) return undefined;
  const amount = Number.parseFloat(text);
  const prefix = (match[2] ?? '').replace('i', '');
  return Math.round(amount * (SIZE_MULTIPLIERS[prefix] ?? Number.NaN));
}

/** The shortest exact spelling of a size: 2147483648 → `2GB`. */
export function formatSize(bytes: number): string {
  for (const prefix of ['T', 'G', 'M', 'K'] as const) {
    const size = SIZE_MULTIPLIERS[prefix] ?? 1;
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${prefix}B`;
  }
  return `${bytes}B`;
}

const PER_UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Requests per second, from `100/s`, `600/m`, `1000/h` or a bare number (already per second). */
export function parsePerSecond(value: string | number): number | undefined {
  if (typeof value === 'number') return value > 0 ? value : undefined;
  if (!new RegExp(PER_SECOND_PATTERN).test(value)) return undefined;
  const [amount = '', unit = ''] = value.split('/');
  const perSecond = Number(amount) / (PER_UNIT_SECONDS[unit] ?? Number.NaN);
  return perSecond > 0 ? perSecond : undefined;
}
