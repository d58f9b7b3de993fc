// Incidents over HTTP: list, show with the assembled timeline, ack/resolve/assign/notes, the
// post-mortem as Markdown and response-time statistics. The handlers answer their own errors so
// that the routes behave the same on any fastify instance they are registered on.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IncidentDetail, IncidentManager, IncidentStats, IncidentView } from '../incidents/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { answerError } from './answer-error.ts';
import { parseTime } from './metrics-routes.ts';
import { isoTime, json, type RouteDoc, text } from './route-doc.ts';

export type { TimelineEntry } from '../incidents/types.ts';
export type { IncidentDetail, IncidentStats, IncidentView };

const STATUSES = ['open', 'acknowledged', 'resolved'] as const;
const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;

const incidentViewSchema: z.ZodType<IncidentView> = z.object({
  id: z.string(),
  service: z.string(),
  environment: z.string(),
  description: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(STATUSES),
  alarms: z
    .array(z.string())
    .meta({ description: 'Alarms that opened or joined it, in the order they did.' }),
  openedAt: isoTime,
  acknowledgedAt: isoTime.nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: isoTime.nullable(),
  resolvedBy: z.string().nullable(),
  assignee: z.string().nullable(),
  resolution: z.string().nullable(),
  rootCause: z.string().nullable(),
  updatedAt: isoTime,
  title: z.string().meta({ description: 'War-room title: "[shop-api] [P2] high-5xx in production".' }),
  url: z.string(),
  mttaMs: z.number().nullable().meta({ description: 'Time to acknowledge, ms; null until acknowledged.' }),
  mttrMs: z.number().nullable().meta({ description: 'Time to resolve, ms; null until resolved.' }),
});

const durationStats = z.object({
  count: z.number().int(),
  meanMs: z.number().nullable(),
  medianMs: z.number().nullable(),
});
const counts = <K extends string>(keys: readonly K[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<K, z.ZodNumber>);

export const incidentResponses = {
  list: z.object({ incidents: z.array(incidentViewSchema) }),
  stats: z.object({
    since: isoTime,
    total: z.number().int(),
    byStatus: counts(STATUSES),
    bySeverity: counts(SEVERITIES),
    mtta: durationStats,
    mttr: durationStats,
  }) satisfies z.ZodType<IncidentStats>,
  detail: z.object({
    incident: incidentViewSchema,
    timeline: z.array(
      z.object({
        at: isoTime,
        source: z.enum(['incident', 'release', 'environment']),
        type: z.string(),
        message: z.string(),
        by: z.string().nullable(),
        releaseId: z.string().optional(),
        alarm: z.string().optional(),
        instance: z.string().optional(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  }) satisfies z.ZodType<IncidentDetail>,
  action: z.object({ incident: incidentViewSchema }),
};

/** GET /api/v1/incidents */
export type IncidentListResponse = z.infer<typeof incidentResponses.list>;
/** GET /api/v1/incidents/:id */
export type IncidentDetailResponse = z.infer<typeof incidentResponses.detail>;
/** POST /api/v1/incidents/:id/ack|resolve|assign|notes */
export type IncidentActionResponse = z.infer<typeof incidentResponses.action>;
export type IncidentAction = 'ack' | 'resolve' | 'assign' | 'notes';

export interface IncidentRouteDeps {
  incidents: IncidentManager;
  /** Who is calling, from the request's credentials; used when the body names nobody. */
  principal?: (req: FastifyRequest) => string | undefined;
  clock?: Pick<Clock, 'now'>;
}

const name = z.string().trim().min(1).max(100);

export const incidentSchemas = {
  list: z
    .object({
      status: z.enum(['open', 'acknowledged', 'resolved', 'active', 'all']).default('all'),
      environment: z.string().min(1).max(64).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    })
    .strict(),
  stats: z
    .object({ since: z.string().max(64).default('-30d'), environment: z.string().min(1).max(64).optional() })
    .strict(),
  ack: z.object({ by: name.optional() }).strict(),
  resolve: z
    .object({
      by: name.optional(),
      resolution: z.string().max(4000).optional(),
      rootCause: z.string().max(4000).optional(),
    })
    .strict(),
  assign: z.object({ assignee: name, by: name.optional() }).strict(),
  note: z.object({ text: z.string().trim().min(1).max(4000), by: name.optional() }).strict(),
};

const notFound = { 404: 'no such incident' };

export const incidentRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/incidents',
    operationId: 'listIncidents',
    access: 'viewer',
    summary: 'Incidents, newest first (status: open, acknowledged, resolved, active or all)',
    tag: 'incidents',
    query: incidentSchemas.list,
    responses: { 200: json('IncidentListResponse', incidentResponses.list) },
  },
  {
    method: 'GET',
    path: '/api/v1/incidents/stats',
    operationId: 'getIncidentStats',
    access: 'viewer',
    summary: 'Counts, MTTA and MTTR (mean and median) over incidents opened since (ISO-8601 or -30d)',
    tag: 'incidents',
    query: incidentSchemas.stats,
    responses: { 200: json('IncidentStats', incidentResponses.stats) },
    errors: { 400: 'bad since' },
  },
  {
    method: 'GET',
    path: '/api/v1/incidents/:id',
    operationId: 'getIncident',
    access: 'viewer',
    summary: 'An incident with its MTTA/MTTR and its timeline (alarms, notifications, releases, events)',
    tag: 'incidents',
    responses: { 200: json('IncidentDetailResponse', incidentResponses.detail) },
    errors: notFound,
  },
  {
    method: 'GET',
    path: '/api/v1/incidents/:id/postmortem',
    operationId: 'getIncidentPostmortem',
    access: 'viewer',
    summary: 'A post-mortem draft in Markdown (war-room template), pre-filled from the record',
    tag: 'incidents',
    responses: { 200: text('The draft', 'text/markdown') },
    errors: notFound,
  },
  actionDoc(
    'ack',
    'acknowledgeIncident',
    'Acknowledge an open incident',
    incidentSchemas.ack,
    'already acknowledged or resolved',
  ),
  actionDoc(
    'resolve',
    'resolveIncident',
    'Resolve an incident, with its resolution and root cause',
    incidentSchemas.resolve,
    'already resolved',
  ),
  actionDoc('assign', 'assignIncident', 'Assign an incident to a person', incidentSchemas.assign),
  actionDoc('notes', 'addIncidentNote', "Add a note to an incident's timeline", incidentSchemas.note),
];

function actionDoc(
  action: IncidentAction,
  operationId: string,
  summary: string,
  body: z.ZodType,
  conflict?: string,
): RouteDoc {
  const errors: Record<number, string> = { 400: 'bad body', ...notFound };
  if (conflict) errors[409] = conflict;
  return {
    method: 'POST',
    path: `/api/v1/incidents/:id/${action}`,
    operationId,
    access: 'deployer',
    summary,
    tag: 'incidents',
    body,
    responses: { 200: json('IncidentActionResponse', incidentResponses.action) },
    errors,
  };
}

export function registerIncidentRoutes(app: FastifyInstance, deps: IncidentRouteDeps): void {
  const { incidents } = deps;
  const clock = deps.clock ?? systemClock;
  const actor = (req: FastifyRequest, by: string | undefined) => by ?? deps.principal?.(req) ?? 'api';
  type WithId = { Params: { id: string } };

  app.get('/api/v1/incidents', (req, reply) =>
    answer(reply, async () => {
      const q = incidentSchemas.list.parse(req.query ?? {});
      const body: IncidentListResponse = {
        incidents: await incidents.list({
          status: q.status,
          limit: q.limit,
          ...(q.environment !== undefined ? { environment: q.environment } : {}),
        }),
      };
      return body;
    }),
  );

  app.get('/api/v1/incidents/stats', (req, reply) =>
    answer(reply, async () => {
      const q = incidentSchemas.stats.parse(req.query ?? {});
      const since = new Date(parseTime('since', q.since, clock.now())).toISOString();
      const body: IncidentStats = await incidents.stats({
        since,
        ...(q.environment !== undefined ? { environment: q.environment } : {}),
      });
      return body;
    }),
  );

  app.get<WithId>('/api/v1/incidents/:id', (req, reply) =>
    answer(reply, async () => {
      const body: IncidentDetailResponse = await incidents.get(req.params.id);
      return body;
    }),
  );

  app.get<WithId>('/api/v1/incidents/:id/postmortem', async (req, reply) => {
    try {
      const text = await incidents.postmortem(req.params.id);
      return reply.type('text/markdown; charset=utf-8').send(text);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.post<WithId>('/api/v1/incidents/:id/ack', (req, reply) =>
    answer(reply, async () => {
      const b = incidentSchemas.ack.parse(req.body ?? {});
      return action(await incidents.ack(req.params.id, actor(req, b.by)));
    }),
  );

  app.post<WithId>('/api/v1/incidents/:id/resolve', (req, reply) =>
    answer(reply, async () => {
      const b = incidentSchemas.resolve.parse(req.body ?? {});
      const view = await incidents.resolve(req.params.id, {
        by: actor(req, b.by),
        ...(b.resolution !== undefined ? { resolution: b.resolution } : {}),
        ...(b.rootCause !== undefined ? { rootCause: b.rootCause } : {}),
      });
      return action(view);
    }),
  );

  app.post<WithId>('/api/v1/incidents/:id/assign', (req, reply) =>
    answer(reply, async () => {
      const b = incidentSchemas.assign.parse(req.body ?? {});
      return action(await incidents.assign(req.params.id, b.assignee, actor(req, b.by)));
    }),
  );

  app.post<WithId>('/api/v1/incidents/:id/notes', (req, reply) =>
    answer(reply, async () => {
      const b = incidentSchemas.note.parse(req.body ?? {});
      return action(await incidents.addNote(req.params.id, b.text, actor(req, b.by)));
    }),
  );
}

function action(incident: IncidentView): IncidentActionResponse {
  return { incident };
}

async function answer(reply: FastifyReply, body: () => Promise<unknown>): Promise<FastifyReply> {
  try {
    return reply.send(await body());
  } catch (err) {
    return answerError(reply, err);
  }
}
