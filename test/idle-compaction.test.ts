// The collection a quiet process runs to give back the memory a burst grew (src/lib/idle-compaction.ts):
// when it runs, and that it really shrinks V8's young generation.
import v8 from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { IdleCompaction } from '../src/lib/idle-compaction.ts';

const youngGenerationBytes = () =>
  v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

describe('IdleCompaction', () => {
  let compaction: IdleCompaction | undefined;
  afterEach(() => compaction?.close());

  it('runs once the count has been still for quietMs, then waits for new activity', () => {
    let count = 0;
    compaction = new IdleCompaction({ progress: () => count, quietMs: 1_000, checkMs: 60_000 });
    const t0 = Date.now();
    // Start-up counts as activity: the first quiet period after it runs a collection.
    compaction.check(t0 + 500);
    expect(compaction.runs).toBe(0);
    compaction.check(t0 + 1_100);
    expect(compaction.runs).toBe(1);
    // Quiet since: nothing more to give back.
    compaction.check(t0 + 5_000);
    expect(compaction.runs).toBe(1);
    // Busy: every look that sees the count move restarts the quiet period.
    count += 10;
    compaction.check(t0 + 6_000);
    count += 10;
    compaction.check(t0 + 6_900);
    compaction.check(t0 + 7_500);
    expect(compaction.runs).toBe(1);
    compaction.check(t0 + 7_900);
    expect(compaction.runs).toBe(2);
  });

  it('shrinks the young generation a burst of allocations grew', () => {
    let kept: unknown[] = [];
    // Objects that survive a few scavenges make V8 grow the young generation.
    for (let round = 0; round < 40; round++) {
      kept = Array.from({ length: 20_000 }, (_, i) => ({ i, round, text: `item ${i}` }));
    }
    const grown = youngGenerationBytes();
    expect(kept.length).toBe(20_000);
    kept = [];
    compaction = new IdleCompaction({ progress: () => 0, quietMs: 0, checkMs: 60_000 });
    compaction.check();
    expect(compaction.runs).toBe(1);
    const after = youngGenerationBytes();
    expect(after).toBeLessThan(grown);
  });
});
