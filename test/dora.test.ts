// DORA figures over a scripted history, worked out by hand.
import { describe, expect, it } from 'vitest';
import { computeDora, type DoraRelease, summarize } from '../src/dora/compute.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const at = (ms: number) => new Date(T0 + ms).toISOString();

function rel(id: string, kind: string, version: string, state: string, finishedAfter: number): DoraRelease {
  return { id, kind, version, state, createdAt: at(finishedAfter - 600_000), finishedAt: at(finishedAfter) };
}

describe('computeDora', () => {
  it('counts deployments, lead times, failed changes and restores of a scripted ten days', () => {
    const figures = computeDora({
      environment: 'production',
      from: T0,
      to: T0 + 10 * DAY,
      releases: [
        rel('r1', 'deploy', 'v1', 'succeeded', 1 * DAY), // lead 2 h from its commit
        rel('r2', 'promote', 'v2', 'succeeded', 3 * DAY), // an incident 5 h later: a failed change
        rel('r3', 'deploy', 'v3', 'rolled_back', 4 * DAY), // rolled back: failed
        rel('r4', 'rollback', 'v2', 'succeeded', 4 * DAY + HOUR), // rollbacks are not changes
        rel('r5', 'release', 'v4', 'succeeded', 6 * DAY), // no commit time: 1 h from upload
        rel('r6', 'deploy', 'v5', 'failed', 7 * DAY), // never served: not a change
        rel('r7', 'deploy', 'v0', 'succeeded', -DAY), // before the period
      ],
      incidents: [
        { openedAt: at(3 * DAY + 5 * HOUR), resolvedAt: at(3 * DAY + 5 * HOUR + 30 * 60_000) },
        { openedAt: at(8 * DAY), resolvedAt: at(8 * DAY + 90 * 60_000) }, // 2 days after r5: not its fault
        { openedAt: at(9 * DAY), resolvedAt: null },
      ],
      versions: [
        { version: 'v1', committedAt: at(1 * DAY - 2 * HOUR), createdAt: at(1 * DAY - HOUR) },
        { version: 'v2', committedAt: at(3 * DAY - 4 * HOUR), createdAt: at(3 * DAY - 3 * HOUR) },
        { version: 'v3', committedAt: at(4 * DAY - HOUR), createdAt: at(4 * DAY - HOUR) },
        { version: 'v4', committedAt: null, createdAt: at(6 * DAY - HOUR) },
      ],
    });
    expect(figures).toEqual({
      environment: 'production',
      from: at(0),
      to: at(10 * DAY),
      deployments: 3,
      deploymentsPerDay: 0.3,
      // 2 h, 4 h, 1 h → median 2 h, mean 7/3 h
      leadTime: { count: 3, medianMs: 2 * HOUR, meanMs: (7 * HOUR) / 3, fromUpload: 1 },
      // r1 ok, r2 incident, r3 rolled back, r5 ok → 2 of 4
      changeFailureRate: 0.5,
      failedChanges: 2,
      changes: 4,
      // 30 min and 90 min; the open incident does not count
      timeToRestore: { count: 2, medianMs: 60 * 60_000, meanMs: 60 * 60_000 },
    });
  });

  it('says null, not 0, when there is nothing to measure', () => {
    const figures = computeDora({
      environment: 'e',
      from: T0,
      to: T0 + DAY,
      releases: [],
      incidents: [],
      versions: [],
    });
    expect(figures.changeFailureRate).toBeNull();
    expect(figures.leadTime.medianMs).toBeNull();
    expect(summarize([3, 1, 2])).toEqual({ count: 3, medianMs: 2, meanMs: 2 });
  });
});
