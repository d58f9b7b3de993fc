// GET /api/v1/logs (search, newest first) and GET /api/v1/logs/stream (live tail as Server-Sent
// Events: `event: log` with a LogLineView, id = the line's id, heartbeat comments; a client that
// reconnects with Last-Event-ID first gets the stored lines it missed).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MAX_DURATION_TEXT } from '../config/units.ts';
import { GantryError } from '../lib/errors.ts';
import type { LogService } from '../logs/service.ts';
import { parseLogTime } from '../logs/time.ts';
import { LOG_LEVELS, type LogLineView, type LogSearchQuery, toLogLineView } from '../logs/types.ts';
import { answerError } from './answer-error.ts';
import { isoTime, json, type RouteDoc, text } from './route-doc.ts';

export type { LogLineView };

const logLineSchema: z.ZodType<LogLineView> = z.object({
  id: z.number().int(),
  at: isoTime,
  environment: z.string(),
  version: z.string(),
  instance: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).nullable(),
  message: z.string(),
  fields: z.record(z.string(), z.unknown()).nullable(),
  line: z.string(),
});

export const logListResponse = z.object({
  lines: z
    .array(logLineSchema)
    .meta({ description: 'Newest first; pass the last id as `before` for the next page.' }),
});
export type LogListResponse = z.infer<typeof logListResponse>;

export interface LogRouteDeps {
  logs: Pick<LogService, 'search' | 'subscribe'>;
  now?: () => number;
}

const HEARTBEAT_MS = 15_000;
/** Stored lines replayed to a reconnecting tail at most. */
const REPLAY_LIMIT = 1000;
const name = z.string().min(1).max(200);
const time = z.string().min(1).max(64).describe('ISO-8601, `now`, or a duration back from now (10m, -1h)');

const filters = {
  environment: name.optional(),
  version: name.optional(),
  instance: name.optional(),
  level: z.enum(LOG_LEVELS as [string, ...string[]]).optional(),
  q: z.string().max(500).optional(),
  since: time.optional(),
  until: time.optional(),
};

export const logSchemas = {
  search: z
    .object({
      ...filters,
      limit: z.coerce.number().int().min(1).max(5000).default(100),
      before: z.coerce.number().int().min(1).optional(),
    })
    .strict(),
  stream: z.object({ ...filters, after: z.coerce.number().int().min(0).optional() }).strict(),
};

export const logRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/logs',
    operationId: 'searchLogs',
    access: 'viewer',
    summary:
      'Search the instances\' output, newest first: filters, minimum level, full text (words, "phrases")',
    tag: 'logs',
    query: logSchemas.search,
    responses: { 200: json('LogListResponse', logListResponse) },
    errors: { 400: 'bad query' },
  },
  {
    method: 'GET',
    path: '/api/v1/logs/stream',
    operationId: 'streamLogs',
    access: 'viewer',
    summary: 'Live tail of the lines matching the filters (Server-Sent Events `log`)',
    tag: 'logs',
    query: logSchemas.stream,
    responses: { 200: text('Server-Sent Events `log`, each a LogLineView', 'text/event-stream') },
    errors: { 400: 'bad query' },
    sse: true,
  },
];

export function registerLogRoutes(app: FastifyInstance, deps: LogRouteDeps): void {
  const now = deps.now ?? Date.now;

  app.get('/api/v1/logs', async (req, reply) => {
    try {
      const q = logSchemas.search.parse(req.query ?? {});
      const query = toQuery(q, now());
      const lines = (await deps.logs.search({ ...query, limit: q.limit })).map(toLogLineView);
      const body: LogListResponse = { lines };
      return reply.send(body);
    } catch (err) {
      return answerError(reply, err);
    }
  });

  app.get('/api/v1/logs/stream', async (req, reply) => {
    let q: z.infer<typeof logSchemas.stream>;
    let filter: Omit<LogSearchQuery, 'limit'>;
    try {
      q = logSchemas.stream.parse(req.query ?? {});
      filter = toQuery(q, now());
    } catch (err) {
      return answerError(reply, err);
    }
    const lastEventId = Number(req.headers['last-event-id']);
    const after = Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : q.after;
    await streamLogs(req, reply, deps, filter, after);
  });
}

async function streamLogs(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: LogRouteDeps,
  filter: Omit<LogSearchQuery, 'limit'>,
  after: number | undefined,
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 1000\n\n');
  let last = after ?? 0;
  let replaying = after !== undefined;
  const queued: LogLineView[] = [];
  const send = (v: LogLineView) => {
    if (v.id <= last) return;
    last = v.id;
    res.write(`event: log\nid: ${v.id}\ndata: ${JSON.stringify(v)}\n\n`);
  };
  // Subscribe before reading the stored lines so that nothing falls between the two.
  const unsubscribe = deps.logs.subscribe(filter, (r) => {
    const v = toLogLineView(r);
    if (replaying) queued.push(v);
    else send(v);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  req.raw.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
    res.end();
  });
  if (after !== undefined) {
    try {
      const missed = await deps.logs.search({ ...filter, after, limit: REPLAY_LIMIT });
      for (const r of missed.reverse()) send(toLogLineView(r));
    } finally {
      replaying = false;
      for (const v of queued.splice(0)) send(v);
    }
  }
}

function toQuery(
  q: { [K in keyof typeof filters]?: string } & { before?: number },
  now: number,
): Omit<LogSearchQuery, 'limit'> {
  const out: Omit<LogSearchQuery, 'limit'> = {};
  if (q.environment !== undefined) out.environment = q.environment;
  if (q.version !== undefined) out.version = q.version;
  if (q.instance !== undefined) out.instance = q.instance;
  if (q.level !== undefined) out.level = q.level as LogSearchQuery['level'];
  if (q.q !== undefined && q.q.trim() !== '') out.q = q.q;
  if (q.since !== undefined) out.since = new Date(readTime('since', q.since, now)).toISOString();
  if (q.until !== undefined) out.until = new Date(readTime('until', q.until, now)).toISOString();
  if (q.before !== undefined) out.before = q.before;
  return out;
}

function readTime(field: string, text: string, now: number): number {
  const t = parseLogTime(text, now);
  if (t === undefined) {
    throw new GantryError(
      'BAD_REQUEST',
      `${field}: expected ISO-8601 (2026-05-01T12:00:00Z), \`now\` or a duration back from now (10m, -1h; ${MAX_DURATION_TEXT}), got "${text}"`,
    );
  }
  return t;
}
