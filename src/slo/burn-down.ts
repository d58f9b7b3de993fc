// The burn-down of an SLO's error budget over its window: at each step, the share of the budget
// left counting the window's requests from its start up to that step (the last point is the
// budget left now). Computed on request, one tally per step.
import type { SloConfig } from '../config/types.ts';
import { budgetRemaining, countsOf, needsSketch } from './budget.ts';
import type { SloSource } from './status.ts';

export const BURN_DOWN_POINTS = 60;

export async function burnDown(
  source: SloSource,
  slo: SloConfig,
  now: number,
  points = BURN_DOWN_POINTS,
): Promise<Array<[number, number]>> {
  const start = now - slo.window;
  const step = slo.window / points;
  let good = 0;
  let total = 0;
  const out: Array<[number, number]> = [];
  for (let i = 0; i < points; i++) {
    const from = start + i * step;
    const to = i === points - 1 ? now : from + step;
    const c = countsOf(slo, await source.environmentTally(slo.environment, from, to, needsSketch(slo)));
    good += c.good;
    total += c.total;
    out.push([Math.round(to), budgetRemaining({ good, total }, slo.objective)]);
  }
  return out;
}
