// The in-memory state of one (environment, version): a ring of per-second buckets (counts by status
// class, latency sketch, reservoir of raw latencies) and the counters Prometheus scrapes. record()
// is the proxy's hot path: it touches preallocated numbers and reuses a slot's arrays; the only
// allocations are a sketch per second and a reservoir growing towards its cap.
import type { RequestRecord } from '../proxy/types.ts';
import { createSketch, type Sketch } from './sketch.ts';
import { STATUS_SLOTS, statusSlot } from './status-codes.ts';

/** Histogram bounds of gantry_http_request_duration_seconds, in ms (Prometheus' defaults). */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Code classes counted since start, in the order of SeriesState.codes. */
export const CODE_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other', 'client_abort'] as const;
const OTHER = 5;
const ABORT = 6;

export interface SecondBucket {
  /** Epoch second this slot holds, -1 when empty. */
  second: number;
  /** Responses with a 2xx–5xx status; client aborts and 1xx are not requests of the service. */
  requests: number;
  c2xx: number;
  c3xx: number;
  c4xx: number;
  c5xx: number;
  clientAborts: number;
  latencySumMs: number;
  sketch: Sketch | null;
  /** Reservoir (Algorithm R) of latencies in ms; the first min(seen, cap) entries are valid. */
  samples: Float64Array;
  seen: number;
  /** Written into a minute rollup already. */
  rolled: boolean;
}

const EMPTY_SAMPLES = new Float64Array(0);

function emptyBucket(): SecondBucket {
  return {
    second: -1,
    requests: 0,
    c2xx: 0,
    c3xx: 0,
    c4xx: 0,
    c5xx: 0,
    clientAborts: 0,
    latencySumMs: 0,
    sketch: null,
    samples: EMPTY_SAMPLES,
    seen: 0,
    rolled: false,
  };
}

export function clearBucket(b: SecondBucket, second: number): void {
  b.second = second;
  b.requests = 0;
  b.c2xx = 0;
  b.c3xx = 0;
  b.c4xx = 0;
  b.c5xx = 0;
  b.clientAborts = 0;
  b.latencySumMs = 0;
  b.sketch = null;
  b.seen = 0;
  b.rolled = false;
}

export class SeriesState {
  readonly environment: string;
  readonly version: string;
  /** Responses by CODE_CLASSES since start. */
  readonly codes = new Float64Array(CODE_CLASSES.length);
  /** Responses by status code since start, in the slots of status-codes.ts (client aborts aside). */
  readonly statuses = new Float64Array(STATUS_SLOTS);
  /** Observations per histogram bucket (not cumulative); the last one is +Inf. */
  readonly histogram = new Float64Array(LATENCY_BUCKETS_MS.length + 1);
  histogramSumMs = 0;
  /** Newest second that received a record. */
  newestSecond = -1;
  /** Allocated on the first record, released when memory holds nothing of this series. */
  #ring: SecondBucket[] | null = null;
  readonly #ringSize: number;
  readonly #sampleCap: number;

  constructor(environment: string, version: string, ringSize: number, sampleCap: number) {
    this.environment = environment;
    this.version = version;
    this.#ringSize = ringSize;
    this.#sampleCap = sampleCap;
  }

  record(r: RequestRecord): void {
    const second = Math.floor(r.at / 1000);
    const b = this.#slotFor(second);
    if (r.error === 'client_abort') {
      this.codes[ABORT] = (this.codes[ABORT] as number) + 1;
      if (b) b.clientAborts++;
      return;
    }
    const slot = statusSlot(r.status);
    this.statuses[slot] = (this.statuses[slot] as number) + 1;
    const cls = (r.status / 100) | 0;
    if (cls < 2 || cls > 5) {
      const k = cls === 1 ? 0 : OTHER;
      this.codes[k] = (this.codes[k] as number) + 1;
      return;
    }
    this.codes[cls - 1] = (this.codes[cls - 1] as number) + 1;
    const ms = Math.max(r.latencyMs, 0) || 0; // NaN counts as 0
    this.#observe(ms);
    if (!b) return;
    b.requests++;
    if (cls === 2) b.c2xx++;
    else if (cls === 3) b.c3xx++;
    else if (cls === 4) b.c4xx++;
    else b.c5xx++;
    b.latencySumMs += ms;
    if (b.sketch === null) b.sketch = createSketch();
    b.sketch.accept(ms);
    this.#sample(b, ms);
  }

  /** The bucket of an epoch second, when memory still holds it. */
  bucketAt(second: number): SecondBucket | undefined {
    const b = this.#ring?.[second % this.#ringSize];
    return b && b.second === second ? b : undefined;
  }

  /** Empties every bucket older than `second`, and frees the ring when nothing newer is left. */
  dropBefore(second: number): void {
    if (!this.#ring) return;
    if (this.newestSecond < second) {
      this.#ring = null;
      return;
    }
    for (const b of this.#ring) {
      if (b.second >= 0 && b.second < second) {
        clearBucket(b, -1);
        b.samples = EMPTY_SAMPLES;
      }
    }
  }

  #slotFor(second: number): SecondBucket | undefined {
    this.#ring ??= Array.from({ length: this.#ringSize }, emptyBucket);
    const b = this.#ring[second % this.#ringSize] as SecondBucket;
    if (b.second === second) return b;
    // A record older than the slot's second belongs to a second memory no longer holds.
    if (b.second > second) return undefined;
    clearBucket(b, second);
    if (second > this.newestSecond) this.newestSecond = second;
    return b;
  }

  #observe(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > (LATENCY_BUCKETS_MS[i] as number)) i++;
    this.histogram[i] = (this.histogram[i] as number) + 1;
    this.histogramSumMs += ms;
  }

  #sample(b: SecondBucket, ms: number): void {
    const n = b.seen++;
    const cap = this.#sampleCap;
    if (n < cap) {
      if (n >= b.samples.length) {
        const grown = new Float64Array(Math.min(cap, Math.max(16, b.samples.length * 2)));
        grown.set(b.samples);
        b.samples = grown;
      }
      b.samples[n] = ms;
      return;
    }
    const j = Math.floor(Math.random() * (n + 1));
    if (j < cap) b.samples[j] = ms;
  }
}
