// GET /api/v1/alarms (every alarm's state), GET /api/v1/alarms/:name/history (its transitions) and
// GET /api/v1/synthetics (each synthetic check with its last results). The handlers answer their
// own errors so that the routes behave the same on any fastify instance they are registered on.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AlarmEngine } from '../alarms/engine.ts';
import type { AlarmStatus, AlarmTransition } from '../alarms/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { SyntheticStatus, SyntheticsRunner } from '../synthetics/runner.ts';
import { answerError } from './answer-error.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

export type { AlarmStatus, AlarmTransition, SyntheticStatus };

const STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
const state = z.enum(STATES);
const severity = z.enum(['P1', 'P2', 'P3', 'P4']);
const threshold = z.object({ above: z.number().optional(), below: z.number().optional() });

const alarmStatusSchema: z.ZodType<AlarmStatus> = z.object({
  service: z.string(),
  alarm: z.string(),
  environment: z.string(),
  metric: z.string(),
  severity,
  state,
  since: isoTime,
  reason: z.string(),
  lastValue: z.number().nullable(),
  lastEvaluatedAt: isoTime.nullable(),
  threshold,
  periodMs: z.number(),
  evaluationPeriods: z.number().int(),
  datapointsToAlarm: z.number().int(),
  notify: z.array(z.string()),
  runbook: z.string().nullable(),
});

const alarmTransitionSchema: z.ZodType<AlarmTransition> = z.object({
  id: z.string(),
  service: z.string(),
  alarm: z.string(),
  environment: z.string(),
  metric: z.string(),
  severity,
  from: state,
  to: state,
  at: isoTime,
  reason: z.string(),
  datapoints: z.array(z.number().nullable()),
  threshold,
  notify: z.array(z.string()),
  runbook: z.string().nullable(),
  description: z.string().nullable(),
});

const syntheticStatusSchema: z.ZodType<SyntheticStatus> = z.object({
  name: z.string(),
  environment: z.string(),
  everyMs: z.number(),
  kind: z.enum(['http', 'command']),
  check: z.string(),
  lastResults: z.array(
    z.object({ at: isoTime, ok: z.boolean(), message: z.string(), durationMs: z.number() }),
  ),
  nextRunAt: isoTime.nullable(),
});

export const alarmResponses = {
  list: z.object({ alarms: z.array(alarmStatusSchema) }),
  history: z.object({
    alarm: z.string(),
    transitions: z.array(alarmTransitionSchema).meta({ description: 'Newest first.' }),
  }),
  synthetics: z.object({ synthetics: z.array(syntheticStatusSchema) }),
};

export type AlarmListResponse = z.infer<typeof alarmResponses.list>;
export type AlarmHistoryResponse = z.infer<typeof alarmResponses.history>;
export type SyntheticListResponse = z.infer<typeof alarmResponses.synthetics>;

export interface AlarmRouteDeps {
  alarms: Pick<AlarmEngine, 'statuses' | 'history'>;
  synthetics: Pick<SyntheticsRunner, 'statuses'>;
}

const envName = z.string().min(1).max(64);

export const alarmSchemas = {
  list: z.object({ environment: envName.optional(), state: z.enum(STATES).optional() }).strict(),
  name: z.object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/,
        'an alarm name: letters, digits, _ . - and : of SLO alarms (at most 128)',
      ),
  }),
  history: z
    .object({
      environment: envName.optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    })
    .strict(),
  synthetics: z.object({ environment: envName.optional() }).strict(),
};

export const alarmRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/alarms',
    operationId: 'listAlarms',
    access: 'viewer',
    summary: 'Every alarm of gantry.yaml: state (OK, ALARM, INSUFFICIENT_DATA), since when, why, last value',
    tag: 'alarms',
    query: alarmSchemas.list,
    responses: { 200: json('AlarmListResponse', alarmResponses.list) },
    errors: { 400: 'bad query' },
  },
  {
    method: 'GET',
    path: '/api/v1/alarms/:name/history',
    operationId: 'getAlarmHistory',
    access: 'viewer',
    summary: "An alarm's transitions, newest first, each with its reason and datapoints",
    tag: 'alarms',
    query: alarmSchemas.history,
    responses: { 200: json('AlarmHistoryResponse', alarmResponses.history) },
    errors: { 400: 'bad query', 404: 'unknown alarm' },
  },
  {
    method: 'GET',
    path: '/api/v1/synthetics',
    operationId: 'listSynthetics',
    access: 'viewer',
    summary: 'Every synthetic check with its schedule and last results, newest first',
    tag: 'alarms',
    query: alarmSchemas.synthetics,
    responses: { 200: json('SyntheticListResponse', alarmResponses.synthetics) },
    errors: { 400: 'bad query' },
  },
];

export function registerAlarmRoutes(app: FastifyInstance, deps: AlarmRouteDeps): void {
  app.get('/api/v1/alarms', async (req, reply) => {
    try {
      const q = alarmSchemas.list.parse(req.query ?? {});
      const alarms = deps.alarms
        .statuses()
        .filter((a) => q.environment === undefined || a.environment === q.environment)
        .filter((a) => q.state === undefined || a.state === q.state);
      const body: AlarmListResponse = { alarms };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.get('/api/v1/alarms/:name/history', async (req, reply) => {
    try {
      const { name } = alarmSchemas.name.parse(req.params ?? {});
      const q = alarmSchemas.history.parse(req.query ?? {});
      const transitions = await deps.alarms.history({
        alarm: name,
        limit: q.limit,
        ...(q.environment !== undefined ? { environment: q.environment } : {}),
      });
      const configured = deps.alarms.statuses().some((a) => a.alarm === name);
      // A removed alarm's history stays readable; a name never seen is a typo.
      if (!configured && transitions.length === 0) {
        const known = [...new Set(deps.alarms.statuses().map((a) => a.alarm))];
        throw new GantryError('UNKNOWN_ALARM', `no alarm ${name} (alarms: ${known.join(', ') || 'none'})`);
      }
      const body: AlarmHistoryResponse = { alarm: name, transitions };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.get('/api/v1/synthetics', async (req, reply) => {
    try {
      const q = alarmSchemas.synthetics.parse(req.query ?? {});
      const synthetics = deps.synthetics
        .statuses()
        .filter((s) => q.environment === undefined || s.environment === q.environment);
      const body: SyntheticListResponse = { synthetics };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });
}
