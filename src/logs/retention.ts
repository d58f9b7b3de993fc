// Retention of stored lines (gantry.yaml `logs.retention`): lines older than `age` go, then, while
// the stored size is over `size`, the oldest lines go until it is at most RETAIN_FRACTION of it, so
// a full store is not trimmed again at every batch.
import type { LogsConfig } from '../config/types.ts';
import type { LogRepo } from '../store/types.ts';

export const RETENTION_INTERVAL_MS = 60_000;
export const RETAIN_FRACTION = 0.9;

export interface RetentionOutcome {
  byAge: { lines: number; bytes: number };
  bySize: { lines: number; bytes: number };
  /** Stored size after retention, as counted (see LogRepo.totalBytes). */
  bytes: number;
}

export async function enforceRetention(opts: {
  repo: Pick<LogRepo, 'pruneBefore' | 'pruneOldest' | 'totalBytes'>;
  retention: LogsConfig['retention'];
  now: number;
}): Promise<RetentionOutcome> {
  const { repo, retention, now } = opts;
  const byAge = await repo.pruneBefore(new Date(now - retention.age).toISOString());
  let bytes = await repo.totalBytes();
  let bySize = { lines: 0, bytes: 0 };
  if (bytes > retention.size) {
    bySize = await repo.pruneOldest(bytes - Math.floor(retention.size * RETAIN_FRACTION));
    bytes -= bySize.bytes;
  }
  return { byAge, bySize, bytes };
}
