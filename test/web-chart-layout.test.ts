// The dashboard's chart layout rules (web/src/chart-layout.ts), as pure functions: the stretch of
// time a chart shows, rows of release labels, and names of series.
import { describe, expect, it } from 'vitest';
import {
  firstDataTime,
  labelRows,
  MIN_VISIBLE_SPAN_MS,
  NO_VERSION_LABEL,
  versionLabel,
  visibleRange,
} from '../web/src/chart-layout.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const now = 1_800_000_000_000;

describe('visibleRange', () => {
  const base = { from: now - HOUR, to: now, stepMs: 5000, releases: [] as number[] };
  it.each([
    ['no data: the whole range', { firstData: null }, now - HOUR],
    ['data for the whole hour: the whole range', { firstData: now - HOUR }, now - HOUR],
    ['a server 20 min old starts where its data does', { firstData: now - 20 * MIN }, now - 20 * MIN],
    ['a server 20 s old still shows 1 min', { firstData: now - 20_000 }, now - MIN_VISIBLE_SPAN_MS],
    [
      'a release before the first data point is kept in view',
      { firstData: now - 10 * MIN, releases: [now - 12 * MIN] },
      now - 12 * MIN,
    ],
    [
      'a release before the range does not widen it',
      { firstData: now - 10 * MIN, releases: [now - 2 * HOUR] },
      now - 10 * MIN,
    ],
    [
      'at least 12 steps of a coarse step (7 d at 15 min)',
      { from: now - 7 * 24 * HOUR, firstData: now - MIN, stepMs: 15 * MIN },
      now - 180 * MIN,
    ],
  ] as const)('%s', (_name, over, from) => {
    expect(visibleRange({ ...base, ...over })).toEqual({ from, to: now });
  });
});

describe('firstDataTime', () => {
  it('is the earliest non-null point of any series', () => {
    expect(
      firstDataTime([
        [
          [1, null],
          [2, null],
          [3, 5],
        ],
        [
          [1, null],
          [2, 0],
        ],
      ]),
    ).toBe(2);
    expect(firstDataTime([[[1, null]], []])).toBeNull();
  });
});

describe('labelRows', () => {
  it.each([
    ['labels far apart share the first row', [0, 100, 200], [0, 0, 0]],
    ['close labels move down a row', [0, 10, 20], [0, 1, 2]],
    ['a fourth label on top of three others is left out', [0, 5, 10, 15], [0, 1, 2, null]],
    ['a row is reused once there is room again', [0, 10, 60], [0, 1, 0]],
  ] as const)('%s', (_name, xs, rows) => {
    expect(labelRows(xs.map((x) => ({ x, width: 40 })))).toEqual(rows);
  });

  it('never puts two overlapping labels in one row', () => {
    const labels = Array.from({ length: 40 }, (_, i) => ({ x: (i * 37) % 500, width: 20 + (i % 3) * 10 }));
    labels.sort((a, b) => a.x - b.x);
    const rows = labelRows(labels);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        if (rows[i] === null || rows[i] !== rows[j]) continue;
        const [a, b] = [labels[i], labels[j]] as [(typeof labels)[0], (typeof labels)[0]];
        expect(a.x + a.width <= b.x || b.x + b.width <= a.x).toBe(true);
      }
    }
  });
});

describe('versionLabel', () => {
  it('names the series of requests no version served', () => {
    expect(versionLabel('')).toBe(NO_VERSION_LABEL);
    expect(versionLabel('v1.2.3')).toBe('v1.2.3');
  });
});
