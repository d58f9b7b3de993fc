// GET /metrics (Prometheus text format, or OpenMetrics when the Accept header asks for it) and GET /api/v1/metrics (named metrics over a range, one
// series per version). The handlers answer their own errors so that the routes behave the same on
// any fastify instance they are registered on.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_DURATION_TEXT, parseDuration } from '../config/units.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import { VERSION_NAME_PATTERN, VERSION_NAME_RULE } from '../lib/names.ts';
import type { MetricsEngine } from '../metrics/engine.ts';
import { type PrometheusExtras, renderPrometheus } from '../metrics/prometheus.ts';
import { negotiateFormat } from '../metrics/prometheus-negotiate.ts';
import { MAX_POINTS } from '../metrics/query.ts';
import { answerError } from './answer-error.ts';
import { json, type RouteDoc, text } from './route-doc.ts';

export const metricsQueryResponse = z.object({
  series: z.array(
    z.object({
      environment: z.string(),
      version: z.string(),
      metric: z.string(),
      points: z
        .array(z.tuple([z.number(), z.number().nullable()]))
        .meta({ description: '[epoch ms, value]; null where there was no data.' }),
    }),
  ),
});
/**
 * GET /api/v1/metrics?environment=&version=&metric=&from=&to=&step= — from/to as ISO-8601 or
 * relative (`-1h`, `now`), step as a duration (`10s`). One series per version when version is absent.
 */
export type MetricsQueryResponse = z.infer<typeof metricsQueryResponse>;

export interface MetricsRouteDeps {
  engine: Pick<MetricsEngine, 'query' | 'counters'>;
  service: string;
  /** Environments of gantry.yaml; a query for another one answers 404. */
  environments?: () => string[];
  /** Gantry's own gauges and counters for /metrics, computed at each scrape. */
  extra?: () => PrometheusExtras | Promise<PrometheusExtras>;
  clock?: Pick<Clock, 'now'>;
}

export const metricsQuerySchema = z
  .object({
    environment: z.string().min(1).max(64),
    version: z.string().regex(VERSION_NAME_PATTERN, VERSION_NAME_RULE).optional(),
    metric: z.string().min(1).max(128),
    from: z.string().max(64).default('-1h'),
    to: z.string().max(64).default('now'),
    step: z.string().max(32).optional(),
  })
  .strict();

export const metricsRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/metrics',
    operationId: 'getPrometheusMetrics',
    access: 'viewer',
    summary:
      "Gantry's own and every environment's metrics in the Prometheus text format 0.0.4, or OpenMetrics 1.0.0 when Accept asks for application/openmetrics-text",
    tag: 'metrics',
    responses: {
      200: text(
        'The Prometheus text format 0.0.4 (text/plain; version=0.0.4), or application/openmetrics-text; version=1.0.0',
        'text/plain',
      ),
    },
  },
  {
    method: 'GET',
    path: '/api/v1/metrics',
    operationId: 'queryMetrics',
    access: 'viewer',
    summary:
      'A metric of an environment over a range (from/to: ISO-8601 or -1h, now; step: 10s), one series per version',
    tag: 'metrics',
    query: metricsQuerySchema,
    responses: { 200: json('MetricsQueryResponse', metricsQueryResponse) },
    errors: { 400: 'bad metric, range or step', 404: 'unknown environment' },
  },
];

/** Steps offered when none is asked: the finest that keeps a chart under AUTO_POINTS points. */
const AUTO_STEPS = ['1s', '5s', '10s', '15s', '30s', '1m', '5m', '10m', '15m', '30m', '1h', '6h', '1d'];
const AUTO_POINTS = 500;

export function registerMetricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): void {
  const clock = deps.clock ?? systemClock;

  app.get('/metrics', async (req, reply) => {
    try {
      const { format, contentType } = negotiateFormat(req.headers.accept);
      const text = renderPrometheus(deps.engine, (await deps.extra?.()) ?? {}, format);
      return reply.header('vary', 'Accept').type(contentType).send(text);
    } catch (err) {
      return answerError(reply, err, 'query');
    }
  });

  app.get('/api/v1/metrics', async (req, reply) => {
    try {
      const q = metricsQuerySchema.parse(req.query ?? {});
      const known = deps.environments?.();
      if (known && !known.includes(q.environment)) {
        throw new GantryError(
          'UNKNOWN_ENVIRONMENT',
          `no environment ${q.environment} in service ${deps.service} (it has ${known.join(', ') || 'none'})`,
        );
      }
      const now = clock.now();
      const from = parseTime('from', q.from, now);
      const to = parseTime('to', q.to, now);
      if (!(to > from)) throw new GantryError('BAD_REQUEST', `from (${q.from}) must be before to (${q.to})`);
      const step = q.step === undefined ? autoStep(to - from) : parseStep(q.step);
      const series = await deps.engine.query({
        environment: q.environment,
        metric: q.metric,
        from,
        to,
        step,
        ...(q.version !== undefined ? { version: q.version } : {}),
      });
      const body: MetricsQueryResponse = { series };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err, 'query');
    }
  });
}

/** `now`, a time before now (`-1h`, `now-15m`), or ISO-8601 with a time zone. */
export function parseTime(field: string, text: string, now: number): number {
  if (text === 'now') return now;
  const relative = /^(?:now)?-(.+)$/.exec(text)?.[1];
  const ago = relative !== undefined ? parseDuration(relative) : undefined;
  if (ago !== undefined) return now - ago;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new GantryError(
    'BAD_REQUEST',
    `${field}: expected ISO-8601 (2026-05-01T12:00:00Z) or a time relative to now (-1h, now; ${MAX_DURATION_TEXT} back), got "${text}"`,
  );
}

function parseStep(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000) {
    throw new GantryError(
      'BAD_REQUEST',
      `step: expected a duration of at least 1s (10s, 1m, 1h) and ${MAX_DURATION_TEXT}, got "${text}"`,
    );
  }
  return ms;
}

function autoStep(rangeMs: number): number {
  for (const s of AUTO_STEPS) {
    const ms = parseDuration(s) as number;
    if (rangeMs / ms <= AUTO_POINTS) return ms;
  }
  return Math.ceil(rangeMs / MAX_POINTS / 1000) * 1000;
}
