// GET /api/v1/oncall: who is on call now and next in each schedule of gantry.yaml (or one), and
// the shifts after. The handlers answer their own errors so that the routes behave the same on any
// fastify instance they are registered on.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OncallScheduleConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import { MAX_SHIFTS } from '../oncall/schedule.ts';
import { type OncallScheduleStatus, oncallStatus } from '../oncall/status.ts';
import { answerError } from './answer-error.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

export type { OncallScheduleStatus };

const shift = z.object({ person: z.string(), from: isoTime, to: isoTime, override: z.boolean() });

export const oncallResponse = z.object({
  at: isoTime,
  oncall: z.array(
    z.object({
      schedule: z.string(),
      rotation: z.enum(['daily', 'weekly']),
      handoff: z.string(),
      tz: z.string(),
      now: shift,
      next: shift,
      shifts: z.array(shift).meta({ description: 'The current shift and those after it, `shifts` in all.' }),
    }) satisfies z.ZodType<OncallScheduleStatus>,
  ),
});
export type OncallResponse = z.infer<typeof oncallResponse>;

export interface OncallRouteDeps {
  schedules: () => OncallScheduleConfig[];
  now?: () => number;
}

export const oncallSchemas = {
  get: z
    .object({
      schedule: z.string().min(1).max(100).optional(),
      shifts: z.coerce.number().int().min(1).max(MAX_SHIFTS).default(2),
      at: z.iso
        .datetime({ offset: true })
        .optional()
        .meta({ description: 'Ask about another instant (ISO-8601); default now.' }),
    })
    .strict(),
};

export const oncallRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/oncall',
    operationId: 'getOncall',
    access: 'viewer',
    summary: `Who is on call now and next in each schedule (or \`schedule\`), with the next \`shifts\` shifts (1–${MAX_SHIFTS}, default 2)`,
    tag: 'oncall',
    query: oncallSchemas.get,
    responses: { 200: json('OncallResponse', oncallResponse) },
    errors: { 400: 'bad query', 404: 'unknown schedule' },
  },
];

export function registerOncallRoutes(app: FastifyInstance, deps: OncallRouteDeps): void {
  app.get('/api/v1/oncall', async (req, reply) => {
    try {
      const q = oncallSchemas.get.parse(req.query ?? {});
      const all = deps.schedules();
      if (q.schedule !== undefined && !all.some((s) => s.name === q.schedule)) {
        throw new GantryError(
          'NOT_FOUND',
          `no on-call schedule ${q.schedule} (schedules: ${all.map((s) => s.name).join(', ') || 'none: add them under oncall.schedules in gantry.yaml'})`,
        );
      }
      const at = q.at !== undefined ? Date.parse(q.at) : (deps.now ?? Date.now)();
      const chosen = q.schedule !== undefined ? all.filter((s) => s.name === q.schedule) : all;
      const body: OncallResponse = {
        at: new Date(at).toISOString(),
        oncall: chosen.map((s) => oncallStatus(s, at, q.shifts)),
      };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });
}
