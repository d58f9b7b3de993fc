// The audit log over HTTP (admin): its entries newest first, and a verification of its hash chain
// that names the first entry that does not fit. The handlers answer their own errors.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ChainVerification } from '../audit/chain.ts';
import type { AuditEntryView, AuditLog } from '../audit/log.ts';
import { answerError } from './answer-error.ts';
import type { RouteDoc } from './route-table.ts';

export type { AuditEntryView, ChainVerification };

/** GET /api/v1/audit — newest first; page on with `before` = the last seq seen. */
export interface AuditListResponse {
  entries: AuditEntryView[];
}
/** GET /api/v1/audit/verify */
export type AuditVerifyResponse = ChainVerification;

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
    summary:
      'The audit log, newest first: who (actor, address), what (method and route), target, outcome, details',
    tag: 'audit',
    access: 'admin',
    query: auditSchemas.list,
    responses: { 200: 'AuditListResponse', 400: 'bad query' },
  },
  {
    method: 'GET',
    path: '/api/v1/audit/verify',
    summary: "Walk the audit log's hash chain: ok, entries checked, head, and the first bad entry if any",
    tag: 'audit',
    access: 'admin',
    responses: { 200: 'AuditVerifyResponse' },
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
