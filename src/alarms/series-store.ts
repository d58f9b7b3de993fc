// A small in-memory store of timestamped values per (metric, environment): the synthetics runner
// writes its results here and the alarm engine reads them as datapoints. Bounded by age and count.

export interface SeriesValue {
  /** Epoch ms the value belongs to (a synthetic run: when it finished). */
  at: number;
  value: number;
}

export interface SeriesStoreOptions {
  /** Values older than this (relative to the newest write) are dropped; 48 h by default. */
  maxAgeMs?: number;
  /** Values kept per series at most; 20,000 by default. */
  maxValues?: number;
}

const DEFAULT_MAX_AGE_MS = 48 * 3600 * 1000;
const DEFAULT_MAX_VALUES = 20_000;

export class SeriesStore {
  readonly #series = new Map<string, SeriesValue[]>();
  readonly #maxAgeMs: number;
  readonly #maxValues: number;

  constructor(opts: SeriesStoreOptions = {}) {
    this.#maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.#maxValues = opts.maxValues ?? DEFAULT_MAX_VALUES;
  }

  add(metric: string, environment: string, at: number, value: number): void {
    const key = keyOf(metric, environment);
    let values = this.#series.get(key);
    if (!values) {
      values = [];
      this.#series.set(key, values);
    }
    // Runs may finish out of order (a slow one after a fast one): keep the array sorted by time.
    let i = values.length;
    while (i > 0 && (values[i - 1] as SeriesValue).at > at) i--;
    values.splice(i, 0, { at, value });
    const newest = (values[values.length - 1] as SeriesValue).at;
    let drop = 0;
    while (drop < values.length && (values[drop] as SeriesValue).at < newest - this.#maxAgeMs) drop++;
    drop = Math.max(drop, values.length - this.#maxValues);
    if (drop > 0) values.splice(0, drop);
  }

  /** Values with `at` in [from, to), oldest first. */
  values(metric: string, environment: string, from: number, to: number): number[] {
    const values = this.#series.get(keyOf(metric, environment));
    if (!values) return [];
    const out: number[] = [];
    for (let i = firstAtOrAfter(values, from); i < values.length; i++) {
      const v = values[i] as SeriesValue;
      if (v.at >= to) break;
      out.push(v.value);
    }
    return out;
  }

  /** Forgets every series of a metric (a synthetic removed from the config). */
  remove(metric: string, environment: string): void {
    this.#series.delete(keyOf(metric, environment));
  }
}

function keyOf(metric: string, environment: string): string {
  return `${environment}\u0000${metric}`;
}

function firstAtOrAfter(values: SeriesValue[], t: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as SeriesValue).at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
