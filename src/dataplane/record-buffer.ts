// The request records a data plane keeps for its control plane. While one is connected they leave
// in batches every FLUSH_INTERVAL_MS; while none is, the newest RECORD_BUFFER_CAPACITY wait (the
// oldest are dropped and counted), so that metrics have no gap across a control-plane restart.
import type { MetricsSink, RequestRecord } from '../proxy/types.ts';

/**
 * 100,000 records: about 8 minutes at 200 req/s and 100 s at 1,000 req/s, in about 25 MB. A
 * control plane away longer loses the oldest records, not the proxying.
 */
export const RECORD_BUFFER_CAPACITY = 100_000;
export const FLUSH_INTERVAL_MS = 100;
/** Most records in one message, so that one line stays well under a megabyte. */
export const RECORDS_PER_BATCH = 2_000;

export class RecordBuffer implements MetricsSink {
  readonly #capacity: number;
  #records: RequestRecord[] = [];
  #dropped = 0;
  #received = 0;

  constructor(capacity = RECORD_BUFFER_CAPACITY) {
    this.#capacity = capacity;
  }

  record(r: RequestRecord): void {
    this.#received++;
    if (this.#records.length >= this.#capacity) {
      // Dropping in blocks keeps this O(1) per record on average.
      const cut = Math.max(1, Math.floor(this.#capacity / 100));
      this.#records.splice(0, cut);
      this.#dropped += cut;
    }
    this.#records.push(r);
  }

  get size(): number {
    return this.#records.length;
  }

  /** Every record since the start, taken or not. */
  get received(): number {
    return this.#received;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** The oldest records, up to `max`, and how many were dropped since the last take. */
  take(max = RECORDS_PER_BATCH): { records: RequestRecord[]; dropped: number } {
    const records = this.#records.splice(0, max);
    const dropped = this.#dropped;
    this.#dropped = 0;
    return { records, dropped };
  }
}
