// An in-memory MetricsSink: the last N request records in a ring buffer, plus counters per
// (environment, version, status class). record() runs on the proxy's hot path, so it only stores
// the record and bumps preallocated counters (no allocation after an (environment, version) is seen).
import type { MetricsSink, RequestRecord } from '../proxy/types.ts';

export const DEFAULT_SINK_CAPACITY = 10_000;

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'other';
const CLASSES: readonly StatusClass[] = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'];

export interface StatusCount {
  environment: string;
  version: string;
  statusClass: StatusClass;
  count: number;
}

export interface RecordFilter {
  environment?: string;
  version?: string;
  /** Only records received at or after this epoch-ms time. */
  since?: number;
  /** Only the newest `limit` matching records. */
  limit?: number;
}

export interface MemorySink extends MetricsSink {
  /** Matching records, oldest first. */
  records(filter?: RecordFilter): RequestRecord[];
  counts(): StatusCount[];
  /** Calls fn synchronously for every new record; returns the function that unsubscribes. */
  subscribe(fn: (r: RequestRecord) => void): () => void;
  /** Records ever received, including those the ring buffer no longer holds. */
  readonly total: number;
}

export function createMemorySink(opts: { capacity?: number } = {}): MemorySink {
  const capacity = opts.capacity ?? DEFAULT_SINK_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new Error(`memory sink capacity must be a positive integer, got ${capacity}`);
  }
  const ring: Array<RequestRecord | undefined> = new Array(capacity);
  const counters = new Map<string, Map<string, Float64Array>>();
  let subscribers: Array<(r: RequestRecord) => void> = [];
  let total = 0;

  const countersOf = (environment: string, version: string): Float64Array => {
    let byVersion = counters.get(environment);
    if (!byVersion) {
      byVersion = new Map();
      counters.set(environment, byVersion);
    }
    let c = byVersion.get(version);
    if (!c) {
      c = new Float64Array(CLASSES.length);
      byVersion.set(version, c);
    }
    return c;
  };

  return {
    get total() {
      return total;
    },
    record(r) {
      ring[total % capacity] = r;
      total++;
      const cls = (r.status / 100) | 0;
      const c = countersOf(r.environment, r.version);
      const k = cls >= 1 && cls <= 5 ? cls : 0;
      c[k] = (c[k] as number) + 1;
      for (let i = 0; i < subscribers.length; i++) (subscribers[i] as (r: RequestRecord) => void)(r);
    },
    records(filter = {}) {
      const out: RequestRecord[] = [];
      const n = Math.min(total, capacity);
      for (let i = total - n; i < total; i++) {
        const r = ring[i % capacity] as RequestRecord;
        if (filter.environment !== undefined && r.environment !== filter.environment) continue;
        if (filter.version !== undefined && r.version !== filter.version) continue;
        if (filter.since !== undefined && r.at < filter.since) continue;
        out.push(r);
      }
      return filter.limit !== undefined ? out.slice(Math.max(0, out.length - filter.limit)) : out;
    },
    counts() {
      const out: StatusCount[] = [];
      for (const [environment, byVersion] of counters) {
        for (const [version, c] of byVersion) {
          c.forEach((count, i) => {
            if (count > 0) out.push({ environment, version, statusClass: CLASSES[i] as StatusClass, count });
          });
        }
      }
      return out;
    },
    subscribe(fn) {
      subscribers = [...subscribers, fn];
      return () => {
        subscribers = subscribers.filter((s) => s !== fn);
      };
    },
  };
}
