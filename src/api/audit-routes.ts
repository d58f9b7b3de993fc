// The audit log over HTTP (admin): its entries newest first, and a verification of its hash chain
// that names the first entry that does not fit. The handlers answer their own errors.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ChainVerification } from '../audit/chain.ts';
import type { AuditEntryView, AuditLog } from '../audit/log.ts';
import { answerError } from './answer-error.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

export type { AuditEntryView, ChainVerification };

const auditEntrySchema: z.ZodType<AuditEntryView> = z.object({
  seq: z.number().int(),
  at: isoTime,
  actor: z.object({ kind: z.string(), id: z.string(), name: z.string() }),
  address: z.string().nullable(),
  action: z.string(),
  target: z.object({
    environment: z.string().nullable(),
    release: z.string().nullable(),
    name: z.string().nullable(),
  }),
  outcome: z.object({ status: z.number().int().nullable(), error: z.string().nullable() }),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});

export const auditResponses = {
  list: z.object({ entries: z.array(auditEntrySchema) }),
  verify: z.object({
    ok: z.boolean(),
    checked: z.number().int().meta({ description: 'Entries checked (up to the first bad one).' }),
    head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
    firstBad: z.object({ seq: z.number().int(), reason: z.string() }).optional(),
  }) satisfies z.ZodType<ChainVerification>,
};

/** GET /api/v1/audit — newest first; page on with `before` = the last seq seen. */
export type AuditListResponse = z.infer<typeof auditResponses.list>;
/** GET /api/v1/audit/verify */
export type AuditVerifyResponse = z.infer<typeof auditResponses.verify>;

export const auditSchemas = {
  list: z
    .object({
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      before: z.coerce.number().int().min(1).optional(),
      environment: z.string().min(1).max(64).optional(),
      action: z.string().min(1).max(200).optional(),
    })
    .strict(),
};

export const auditRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/audit',
    operationId: 'listAuditEntries',
    summary:
      'The audit log, newest first: who (actor, address), what (method and route), target, outcome, details',
    tag: 'audit',
    access: 'admin',
    query: auditSchemas.list,
    responses: { 200: json('AuditListResponse', auditResponses.list) },
    errors: { 400: 'bad query' },
  },
  {
    method: 'GET',
    path: '/api/v1/audit/verify',
    operationId: 'verifyAuditLog',
    summary: "Walk the audit log's hash chain: ok, entries checked, head, and the first bad entry if any",
    tag: 'audit',
    access: 'admin',
    responses: { 200: json('AuditVerifyResponse', auditResponses.verify) },
  },
];

export function registerAuditRoutes(app: FastifyInstance, deps: { audit: AuditLog }): void {
  app.get('/api/v1/audit', async (req, reply) => {
    try {
      const q = auditSchemas.list.parse(req.query ?? {});
      const body: AuditListResponse = {
        entries: await deps.audit.list({
          limit: q.limit,
          ...(q.before !== undefined ? { before: q.before } : {}),
          ...(q.environment !== undefined ? { environment: q.environment } : {}),
          ...(q.action !== undefined ? { action: q.action } : {}),
        }),
      };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.get('/api/v1/audit/verify', async (_req, reply) => {
    const body: AuditVerifyResponse = await deps.audit.verify();
    return reply.send(body);
  });
}
