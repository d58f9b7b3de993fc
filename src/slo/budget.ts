// Error-budget arithmetic of one SLO, pure: good and total requests in, attainment,
// budget remaining and burn rates out. Hand-computed cases are in test/slo-budget.test.ts.
import type { SloConfig } from '../config/types.ts';
import type { Sketch } from '../metrics/sketch.ts';
import type { Tally } from '../metrics/tally.ts';

export type SloKind = 'availability' | 'latency';

export interface SloCounts {
  good: number;
  total: number;
}

export function sloKind(slo: Pick<SloConfig, 'threshold'>): SloKind {
  return slo.threshold === undefined ? 'availability' : 'latency';
}

/** Only latency SLOs read the latency sketches; availability counts alone are much cheaper to sum. */
export function needsSketch(slo: Pick<SloConfig, 'threshold'>): boolean {
  return slo.threshold !== undefined;
}

/** The share of requests the objective allows to be bad: 1 − objective, without float dust (99.95% → 0.0005). */
export function errorBudget(objective: number): number {
  return Number((1 - objective).toPrecision(12));
}

/**
 * Good and total requests of a tally. Availability: every answered request that is not a 5xx
 * (client aborts are not counted). Latency: requests whose latency is at most the threshold, read
 * from the merged sketch, so exact to its relative accuracy (1 %).
 */
export function countsOf(slo: Pick<SloConfig, 'threshold'>, tally: Tally): SloCounts {
  if (slo.threshold === undefined) return { good: tally.requests - tally.c5xx, total: tally.requests };
  const timed = tally.sketch?.count ?? 0;
  return { good: countAtMost(tally.sketch, slo.threshold), total: timed };
}

/** How many values of the sketch are ≤ `limit` (to the sketch's accuracy). */
export function countAtMost(sketch: Sketch | null, limit: number): number {
  if (!sketch || sketch.count === 0) return 0;
  if (limit < 0) return 0;
  let n = sketch.zeroCount;
  const store = sketch.store;
  if (store.count === 0 || limit === 0) return n;
  const top = Math.min(sketch.mapping.key(limit), store.maxKey);
  for (let key = store.minKey; key <= top; key++) n += store.bins[key - store.offset] ?? 0;
  return n;
}

/** good/total, or null when there were no requests. */
export function attainment(c: SloCounts): number | null {
  return c.total > 0 ? c.good / c.total : null;
}

/**
 * Share of the error budget left: 1 untouched (also without requests), 0 spent, negative when
 * overspent. Bad requests allowed = (1 − objective) × total.
 */
export function budgetRemaining(c: SloCounts, objective: number): number {
  if (c.total === 0) return 1;
  return 1 - (c.total - c.good) / (errorBudget(objective) * c.total);
}

/** How fast the budget burns: the bad share over the budget share; 1 spends it exactly in one window. */
export function burnRate(c: SloCounts, objective: number): number {
  if (c.total === 0) return 0;
  return (c.total - c.good) / c.total / errorBudget(objective);
}
