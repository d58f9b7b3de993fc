// GET /api/v1/dora: the DORA metrics of each environment (or one) over a period, and their
// /metrics series. The handlers answer their own errors so that the routes behave the same on any
// fastify instance they are registered on.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatDuration, parseDuration } from '../config/units.ts';
import type { DoraFigures } from '../dora/compute.ts';
import { DEFAULT_DORA_PERIOD_MS, readDora } from '../dora/read.ts';
import { GantryError } from '../lib/errors.ts';
import type { ExtraMetric } from '../metrics/prometheus.ts';
import type { Store } from '../store/types.ts';
import { answerError } from './answer-error.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

export type { DoraFigures };

const durationSummary = {
  count: z.number().int(),
  medianMs: z.number().nullable(),
  meanMs: z.number().nullable(),
};

const doraFiguresSchema: z.ZodType<DoraFigures> = z.object({
  environment: z.string(),
  from: isoTime,
  to: isoTime,
  deployments: z.number().int(),
  deploymentsPerDay: z.number(),
  leadTime: z.object({ ...durationSummary, fromUpload: z.number().int() }),
  changeFailureRate: z.number().nullable(),
  failedChanges: z.number().int(),
  changes: z.number().int(),
  timeToRestore: z.object(durationSummary),
});

export const doraResponse = z.object({ since: z.string(), dora: z.array(doraFiguresSchema) });
export type DoraResponse = z.infer<typeof doraResponse>;

export interface DoraRouteDeps {
  store: Pick<Store, 'releases' | 'incidents' | 'versions'>;
  service: () => string;
  environments: () => string[];
  now?: () => number;
}

export const doraSchemas = {
  get: z
    .object({
      environment: z.string().min(1).max(64).optional(),
      since: z.string().max(16).default(formatDuration(DEFAULT_DORA_PERIOD_MS)),
    })
    .strict(),
};

export const doraRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/dora',
    operationId: 'getDora',
    access: 'viewer',
    summary:
      'DORA metrics per environment over the last `since` (30d): deployment frequency, lead time, change failure rate, time to restore',
    tag: 'slos',
    query: doraSchemas.get,
    responses: { 200: json('DoraResponse', doraResponse) },
    errors: { 400: 'bad query', 404: 'unknown environment' },
  },
];

export function registerDoraRoutes(app: FastifyInstance, deps: DoraRouteDeps): void {
  app.get('/api/v1/dora', async (req, reply) => {
    try {
      const q = doraSchemas.get.parse(req.query ?? {});
      const period = parseDuration(q.since);
      if (period === undefined || period < 3_600_000) {
        throw new GantryError(
          'BAD_REQUEST',
          `since: expected a duration of 1h or more, like 7d or 30d, got "${q.since}"`,
        );
      }
      const known = deps.environments();
      if (q.environment !== undefined && !known.includes(q.environment)) {
        throw new GantryError(
          'UNKNOWN_ENVIRONMENT',
          `no environment ${q.environment} (environments: ${known.join(', ') || 'none'})`,
        );
      }
      const to = (deps.now ?? Date.now)();
      const from = to - period;
      const envs = q.environment !== undefined ? [q.environment] : known;
      const dora = await Promise.all(
        envs.map((environment) => readDora(deps.store, { service: deps.service(), environment, from, to })),
      );
      const body: DoraResponse = { since: q.since, dora };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });
}

/** The DORA gauges of GET /metrics over the default period, labelled environment. */
export async function doraMetrics(deps: DoraRouteDeps): Promise<ExtraMetric[]> {
  const to = (deps.now ?? Date.now)();
  const all = await Promise.all(
    deps
      .environments()
      .map((environment) =>
        readDora(deps.store, { service: deps.service(), environment, from: to - DEFAULT_DORA_PERIOD_MS, to }),
      ),
  );
  const gauge = (name: string, help: string, value: (d: DoraFigures) => number | null): ExtraMetric => ({
    name,
    help,
    type: 'gauge',
    samples: all.map((d) => ({ labels: { environment: d.environment }, value: value(d) ?? Number.NaN })),
  });
  return [
    gauge(
      'gantry_dora_deployments_per_day',
      'Successful releases per day over the last 30 days.',
      (d) => d.deploymentsPerDay,
    ),
    gauge('gantry_dora_lead_time_seconds', 'Median lead time for changes over the last 30 days.', (d) =>
      d.leadTime.medianMs === null ? null : d.leadTime.medianMs / 1000,
    ),
    gauge(
      'gantry_dora_change_failure_ratio',
      'Share of changes rolled back or followed by an incident within 24 h.',
      (d) => d.changeFailureRate,
    ),
    gauge(
      'gantry_dora_time_to_restore_seconds',
      'Median time from an incident opened to resolved, last 30 days.',
      (d) => (d.timeToRestore.medianMs === null ? null : d.timeToRestore.medianMs / 1000),
    ),
  ];
}
