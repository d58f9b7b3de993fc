// The state of every SLO now: good/total over its window, attainment, budget left and burn rates,
// read from the metrics engine (per-second memory, then the minute rollups of the store, so it holds
// across restarts for as long as rollups are kept). Results are cached briefly: a 30-day window
// sums tens of thousands of rollup rows (1.2 s for availability, 5 s for latency over 30 days of
// one version on a loaded 2-core machine), and /metrics and the API ask often.
import type { SloConfig } from '../config/types.ts';
import { formatDuration } from '../config/units.ts';
import type { MetricsEngine } from '../metrics/engine.ts';
import {
  attainment,
  budgetRemaining,
  burnRate,
  countsOf,
  needsSketch,
  type SloKind,
  sloKind,
} from './budget.ts';
import { burnWindows } from './burn-windows.ts';

/** How long a computed SLO state is reused. */
export const SLO_CACHE_MS = 60_000;

export interface BurnRateView {
  /** The window, like 1h or 5m. */
  window: string;
  windowMs: number;
  rate: number;
  good: number;
  total: number;
}

export interface SloStatus {
  name: string;
  environment: string;
  kind: SloKind;
  objective: number;
  /** Latency SLOs: the threshold in ms. */
  thresholdMs?: number;
  window: string;
  windowMs: number;
  /** Start of the window, ISO-8601. */
  from: string;
  good: number;
  total: number;
  /** good/total; null without requests. */
  attainment: number | null;
  /** Fraction of the error budget left: 1 untouched, negative when overspent. */
  budgetRemaining: number;
  burnRates: BurnRateView[];
  description?: string;
}

export type SloSource = Pick<MetricsEngine, 'environmentTally'>;

export async function computeSloStatus(source: SloSource, slo: SloConfig, now: number): Promise<SloStatus> {
  const counts = countsOf(
    slo,
    await source.environmentTally(slo.environment, now - slo.window, now, needsSketch(slo)),
  );
  const burnRates: BurnRateView[] = [];
  for (const w of burnWindows(slo.window)) {
    const c = countsOf(slo, await source.environmentTally(slo.environment, now - w, now, needsSketch(slo)));
    burnRates.push({ window: formatDuration(w), windowMs: w, rate: burnRate(c, slo.objective), ...c });
  }
  return {
    name: slo.name,
    environment: slo.environment,
    kind: sloKind(slo),
    objective: slo.objective,
    ...(slo.threshold !== undefined ? { thresholdMs: slo.threshold } : {}),
    window: formatDuration(slo.window),
    windowMs: slo.window,
    from: new Date(now - slo.window).toISOString(),
    good: counts.good,
    total: counts.total,
    attainment: attainment(counts),
    budgetRemaining: budgetRemaining(counts, slo.objective),
    burnRates,
    ...(slo.description !== undefined ? { description: slo.description } : {}),
  };
}

export interface SloReader {
  /**
   * Every SLO of the config (of one environment when given), computed at most SLO_CACHE_MS ago, or
   * now with `fresh` (what the error-budget gate asks: a burst of errors must hold the next release).
   */
  list(environment?: string, opts?: { fresh?: boolean }): Promise<SloStatus[]>;
}

/** The error budget left of each SLO of an environment, as the policy gate reads it. */
export function sloBudgets(
  reader: SloReader,
): (environment: string) => Promise<Array<{ slo: string; remaining: number }>> {
  return async (environment) =>
    (await reader.list(environment, { fresh: true })).map((s) => ({
      slo: s.name,
      remaining: s.budgetRemaining,
    }));
}

export function createSloReader(deps: {
  slos: () => SloConfig[];
  source: SloSource;
  now: () => number;
  cacheMs?: number;
}): SloReader {
  const cacheMs = deps.cacheMs ?? SLO_CACHE_MS;
  const cache = new Map<string, { at: number; key: string; status: Promise<SloStatus> }>();
  return {
    async list(environment, opts = {}) {
      const now = deps.now();
      const wanted = deps.slos().filter((s) => environment === undefined || s.environment === environment);
      return Promise.all(
        wanted.map((slo) => {
          const key = JSON.stringify(slo);
          const hit = cache.get(slo.name);
          if (!opts.fresh && hit && hit.key === key && now - hit.at < cacheMs && now >= hit.at)
            return hit.status;
          const status = computeSloStatus(deps.source, slo, now);
          cache.set(slo.name, { at: now, key, status });
          status.catch(() => cache.delete(slo.name));
          return status;
        }),
      );
    },
  };
}
