// Silences, the notification delivery log and alert acknowledgement:
//   GET/POST /api/v1/silences, DELETE /api/v1/silences/:id (expire),
//   GET /api/v1/notifications, POST /api/v1/alerts/ack.
// The handlers answer their own errors, so the routes behave the same on any fastify instance.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Notifier } from '../notify/notifier.ts';
import type { AckInput, AckResult, DeliveryView, SilenceInput, SilenceView } from '../notify/types.ts';
import { answerError } from './answer-error.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

export type CreateSilenceRequest = SilenceInput;
export type AckRequest = AckInput;

const silenceViewSchema: z.ZodType<SilenceView> = z.object({
  id: z.string(),
  matchers: z.array(z.object({ name: z.string(), value: z.string(), isRegex: z.boolean() })),
  startsAt: isoTime,
  endsAt: isoTime,
  comment: z.string(),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  state: z.enum(['pending', 'active', 'expired']),
});

const deliveryViewSchema: z.ZodType<DeliveryView> = z.object({
  id: z.string(),
  alarm: z.string(),
  environment: z.string(),
  receiver: z.string(),
  channel: z.string(),
  channelIndex: z.number().int(),
  kind: z.enum(['firing', 'resolved', 'repeat', 'acknowledge']),
  alertStatus: z.enum(['firing', 'resolved']),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: isoTime.nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  deliveredAt: isoTime.nullable(),
});

const ackResultSchema: z.ZodType<AckResult> = z.object({
  alarm: z.string(),
  environment: z.string(),
  groupKey: z.string(),
  ackedAt: isoTime,
  ackedBy: z.string().nullable(),
  firingSince: isoTime,
});

export const notifyResponses = {
  silence: z.object({ silence: silenceViewSchema }),
  silences: z.object({ silences: z.array(silenceViewSchema) }),
  deliveries: z.object({ deliveries: z.array(deliveryViewSchema) }),
  ack: z.object({ ack: ackResultSchema }),
};
export type SilenceResponse = z.infer<typeof notifyResponses.silence>;
export type SilenceListResponse = z.infer<typeof notifyResponses.silences>;
export type DeliveryListResponse = z.infer<typeof notifyResponses.deliveries>;
export type AckResponse = z.infer<typeof notifyResponses.ack>;

export interface NotifyRouteDeps {
  notifier: Pick<Notifier, 'ack' | 'createSilence' | 'listSilences' | 'expireSilence' | 'deliveries'>;
}

const matcher = z
  .object({
    name: z.string().min(1).max(128),
    value: z.string().max(1024),
    isRegex: z.boolean().optional(),
  })
  .strict();

export const notifySchemas = {
  createSilence: z
    .object({
      matchers: z.array(matcher).min(1).max(20),
      endsAt: z.string().max(64).optional(),
      duration: z.string().max(32).optional(),
      startsAt: z.string().max(64).optional(),
      comment: z.string().min(1).max(2000),
      createdBy: z.string().min(1).max(200).optional(),
    })
    .strict(),
  listSilences: z
    .object({ expired: z.enum(['true', 'false']).default('false').describe('include expired silences') })
    .strict(),
  silenceId: z.object({ id: z.string().min(1).max(100) }),
  notifications: z
    .object({
      limit: z.coerce.number().int().min(1).max(1000).default(50),
      status: z.enum(['pending', 'delivered', 'failed']).optional(),
    })
    .strict(),
  ack: z
    .object({
      alarm: z.string().min(1).max(128),
      environment: z.string().min(1).max(64),
      by: z.string().min(1).max(200).optional(),
    })
    .strict(),
};

export const notifyRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/silences',
    operationId: 'listSilences',
    access: 'viewer',
    summary: 'Silences, newest first (active and pending; expired too with expired=true)',
    tag: 'silences',
    query: notifySchemas.listSilences,
    responses: { 200: json('SilenceListResponse', notifyResponses.silences) },
  },
  {
    method: 'POST',
    path: '/api/v1/silences',
    operationId: 'createSilence',
    access: 'deployer',
    summary:
      'Silence the alerts whose labels (alertname, environment, service, severity, metric) match, for a duration or until endsAt',
    tag: 'silences',
    body: notifySchemas.createSilence,
    responses: { 201: json('SilenceResponse', notifyResponses.silence) },
    errors: { 400: 'bad matchers, duration or time' },
  },
  {
    method: 'DELETE',
    path: '/api/v1/silences/:id',
    operationId: 'expireSilence',
    access: 'deployer',
    summary: 'Expire a silence now (its record stays)',
    tag: 'silences',
    responses: { 200: json('SilenceResponse', notifyResponses.silence) },
    errors: { 404: 'no such silence' },
  },
  {
    method: 'GET',
    path: '/api/v1/notifications',
    operationId: 'listNotifications',
    access: 'viewer',
    summary: 'The notification delivery log, newest first: status, attempts and the last error of each',
    tag: 'notifications',
    query: notifySchemas.notifications,
    responses: { 200: json('DeliveryListResponse', notifyResponses.deliveries) },
  },
  {
    method: 'POST',
    path: '/api/v1/alerts/ack',
    operationId: 'acknowledgeAlert',
    access: 'deployer',
    summary: 'Acknowledge a firing alarm: no more repeats until it resolves; PagerDuty gets an acknowledge',
    tag: 'alarms',
    body: notifySchemas.ack,
    responses: { 200: json('AckResponse', notifyResponses.ack) },
    errors: { 409: 'the alarm is not firing' },
  },
];

export function registerNotifyRoutes(app: FastifyInstance, deps: NotifyRouteDeps): void {
  const { notifier } = deps;

  app.get('/api/v1/silences', async (req, reply) => {
    try {
      const q = notifySchemas.listSilences.parse(req.query ?? {});
      const body: SilenceListResponse = {
        silences: await notifier.listSilences({ expired: q.expired === 'true' }),
      };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.post('/api/v1/silences', async (req, reply) => {
    try {
      const input = notifySchemas.createSilence.parse(req.body ?? {});
      const body: SilenceResponse = { silence: await notifier.createSilence(dropUndefined(input)) };
      return reply.code(201).send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.delete('/api/v1/silences/:id', async (req, reply) => {
    try {
      const { id } = notifySchemas.silenceId.parse(req.params);
      const body: SilenceResponse = { silence: await notifier.expireSilence(id) };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.get('/api/v1/notifications', async (req, reply) => {
    try {
      const q = notifySchemas.notifications.parse(req.query ?? {});
      const body: DeliveryListResponse = { deliveries: await notifier.deliveries(dropUndefined(q)) };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.post('/api/v1/alerts/ack', async (req, reply) => {
    try {
      const input = notifySchemas.ack.parse(req.body ?? {});
      const body: AckResponse = { ack: await notifier.ack(dropUndefined(input)) };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });
}

/** zod's optional keys come back as `key: undefined`; the notifier's inputs leave them out. */
function dropUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
