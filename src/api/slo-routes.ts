// GET /api/v1/slos: every SLO of gantry.yaml with its attainment, error budget left and burn rates.
// Also the SLO series of GET /metrics. The handlers answer their own errors so that the routes
// behave the same on any fastify instance they are registered on.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SloConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { ExtraMetric } from '../metrics/prometheus.ts';
import { burnDown } from '../slo/burn-down.ts';
import type { SloReader, SloSource, SloStatus } from '../slo/status.ts';
import { answerError } from './answer-error.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

export type { SloStatus };

const sloStatusSchema: z.ZodType<SloStatus> = z.object({
  name: z.string(),
  environment: z.string(),
  kind: z.enum(['availability', 'latency']),
  objective: z.number(),
  thresholdMs: z.number().optional().meta({ description: 'Latency SLOs: the threshold in ms.' }),
  window: z.string(),
  windowMs: z.number(),
  from: isoTime.meta({ description: 'Start of the window.' }),
  good: z.number(),
  total: z.number(),
  attainment: z.number().nullable().meta({ description: 'good/total; null without requests.' }),
  budgetRemaining: z
    .number()
    .meta({ description: 'Fraction of the error budget left: 1 untouched, negative when overspent.' }),
  burnRates: z.array(
    z.object({
      window: z.string(),
      windowMs: z.number(),
      rate: z.number(),
      good: z.number(),
      total: z.number(),
    }),
  ),
  description: z.string().optional(),
});

export const sloResponses = {
  list: z.object({ slos: z.array(sloStatusSchema) }),
  burnDown: z.object({
    slo: z.string(),
    environment: z.string(),
    points: z
      .array(z.tuple([z.number(), z.number()]))
      .meta({ description: "[epoch ms, budget left then], from the window's start to now." }),
  }),
};
export type SloListResponse = z.infer<typeof sloResponses.list>;
export type SloBurnDownResponse = z.infer<typeof sloResponses.burnDown>;

export interface SloRouteDeps {
  slos: SloReader;
  /** The SLOs of gantry.yaml and what their burn-down is read from. */
  configs?: () => SloConfig[];
  source?: SloSource;
  /** Environments of gantry.yaml; a query for another one answers 404. */
  environments: () => string[];
  now?: () => number;
}

export const sloSchemas = {
  list: z.object({ environment: z.string().min(1).max(64).optional() }).strict(),
  name: z.object({ name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'an SLO name') }),
};

export const sloRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/slos',
    operationId: 'listSlos',
    access: 'viewer',
    summary:
      'Every SLO: objective, good/total over its window, attainment, error budget remaining (negative when overspent), burn rates',
    tag: 'slos',
    query: sloSchemas.list,
    responses: { 200: json('SloListResponse', sloResponses.list) },
    errors: { 400: 'bad query', 404: 'unknown environment' },
  },
  {
    method: 'GET',
    path: '/api/v1/slos/:name/burn-down',
    operationId: 'getSloBurnDown',
    access: 'viewer',
    summary: "An SLO's error budget left over its window, in 60 steps from the window's start to now",
    tag: 'slos',
    responses: { 200: json('SloBurnDownResponse', sloResponses.burnDown) },
    errors: { 404: 'unknown SLO' },
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

  app.get('/api/v1/slos/:name/burn-down', async (req, reply) => {
    try {
      const { name } = sloSchemas.name.parse(req.params ?? {});
      const all = deps.configs?.() ?? [];
      const slo = all.find((s) => s.name === name);
      if (!slo || !deps.source) {
        throw new GantryError(
          'NOT_FOUND',
          `no SLO ${name} (SLOs: ${all.map((s) => s.name).join(', ') || 'none'})`,
        );
      }
      const body: SloBurnDownResponse = {
        slo: slo.name,
        environment: slo.environment,
        points: await burnDown(deps.source, slo, (deps.now ?? Date.now)()),
      };
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
