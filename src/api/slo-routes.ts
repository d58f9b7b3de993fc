// GET /api/v1/slos: every SLO of gantry.yaml with its attainment, error budget left and burn rates.
// Also the SLO series of GET /metrics. The handlers answer their own errors so that the routes
// behave the same on any fastify instance they are registered on.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GantryError } from '../lib/errors.ts';
import type { ExtraMetric } from '../metrics/prometheus.ts';
import type { SloReader, SloStatus } from '../slo/status.ts';
import { answerError } from './answer-error.ts';
import type { RouteDoc } from './route-table.ts';

export type { SloStatus };

export interface SloListResponse {
  slos: SloStatus[];
}

export interface SloRouteDeps {
  slos: SloReader;
  /** Environments of gantry.yaml; a query for another one answers 404. */
  environments: () => string[];
}

export const sloSchemas = {
  list: z.object({ environment: z.string().min(1).max(64).optional() }).strict(),
};

export const sloRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/slos',
    access: 'viewer',
    summary:
      'Every SLO: objective, good/total over its window, attainment, error budget remaining (negative when overspent), burn rates',
    tag: 'slos',
    query: sloSchemas.list,
    responses: { 200: 'SloListResponse', 400: 'bad query', 404: 'unknown environment' },
  },
];

export function registerSloRoutes(app: FastifyInstance, deps: SloRouteDeps): void {
  app.get('/api/v1/slos', async (req, reply) => {
    try {
      const q = sloSchemas.list.parse(req.query ?? {});
      const known = deps.environments();
      if (q.environment !== undefined && !known.includes(q.environment)) {
        throw new GantryError(
          'UNKNOWN_ENVIRONMENT',
          `no environment ${q.environment} (environments: ${known.join(', ') || 'none'})`,
        );
      }
      const body: SloListResponse = { slos: await deps.slos.list(q.environment) };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });
}

/** The SLO gauges of GET /metrics, labelled slo and environment (burn rates also by window). */
export function sloMetrics(slos: SloStatus[]): ExtraMetric[] {
  const labels = (s: SloStatus) => ({ slo: s.name, environment: s.environment });
  const gauge = (name: string, help: string, value: (s: SloStatus) => number): ExtraMetric => ({
    name,
    help,
    type: 'gauge',
    samples: slos.map((s) => ({ labels: labels(s), value: value(s) })),
  });
  return [
    gauge('gantry_slo_objective_ratio', 'Share of good requests an SLO aims at.', (s) => s.objective),
    gauge('gantry_slo_window_seconds', "An SLO's rolling window.", (s) => s.windowMs / 1000),
    gauge('gantry_slo_good_requests', 'Good requests over the SLO window.', (s) => s.good),
    gauge('gantry_slo_requests', 'Requests counted over the SLO window.', (s) => s.total),
    gauge(
      'gantry_slo_attainment_ratio',
      'Good over total requests over the SLO window (NaN without requests).',
      (s) => s.attainment ?? Number.NaN,
    ),
    gauge(
      'gantry_slo_error_budget_remaining_ratio',
      'Share of the error budget left: 1 untouched, 0 spent, negative when overspent.',
      (s) => s.budgetRemaining,
    ),
    {
      name: 'gantry_slo_burn_rate',
      help: 'How fast the error budget burns over a window: 1 spends it exactly in the SLO window.',
      type: 'gauge',
      samples: slos.flatMap((s) =>
        s.burnRates.map((b) => ({ labels: { ...labels(s), window: b.window }, value: b.rate })),
      ),
    },
  ];
}
