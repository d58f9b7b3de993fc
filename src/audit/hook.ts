// Every API request that changes something is written to the audit log once its answer is sent:
// who (the request's actor, or anonymous when refused before one was known), from which address,
// method and route, the environment/release/resource concerned, the status and error code, and
// its parameters and JSON body (never the body of secret, session or webhook routes). A request
// refused before anyone was known is recorded compactly, and counted only once its address is
// rate-limited (refusal-tally.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type EnvironmentsOf, EVERY_ENVIRONMENT, plainObject } from '../auth/scope.ts';
import type { Logger } from '../lib/log.ts';
import { ANONYMOUS, type AuditLog } from './log.ts';
import { compactAction, RefusalTally } from './refusal-tally.ts';

export interface AuditHookOptions {
  audit: AuditLog;
  /** Environments the request concerns (see auth/scope.ts). */
  environmentsOf: EnvironmentsOf;
  logger: Logger;
  /** The service a request named (`/api/v1/services/S/…`), recorded with it; none on the old paths. */
  serviceOf?: (req: FastifyRequest) => string | undefined;
}

interface Answer {
  code?: string;
  message?: string;
  ids: Record<string, string>;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Routes whose bodies hold secrets or are someone else's signed payload. */
const BODY_NOT_RECORDED = /secret|session|hooks/i;
const MAX_SNIFFED_ANSWER = 256 * 1024;

export function registerAuditHooks(app: FastifyInstance, opts: AuditHookOptions): void {
  const answers = new WeakMap<FastifyRequest, Answer>();

  // The answer's error code and the ids of what it created (a release, a silence, a token).
  app.addHook('onSend', async (req, reply, payload) => {
    if (READS.has(req.method)) return payload;
    if (typeof payload === 'string' && payload.length <= MAX_SNIFFED_ANSWER) {
      const type = String(reply.getHeader('content-type') ?? '');
      if (type.includes('json')) answers.set(req, readAnswer(payload));
    }
    return payload;
  });

  const tally = new RefusalTally({ record: (e) => opts.audit.record(e), logger: opts.logger });
  app.addHook('onClose', async () => tally.flush());

  app.addHook('onResponse', async (req, reply) => {
    if (READS.has(req.method)) return;
    const url = req.routeOptions.url;
    const action = `${req.method} ${url ?? (req.url.split('?')[0] || '/')}`;
    if (!req.actor && reply.statusCode >= 400) {
      // Refused before anyone was known: compact, and only counted once the address is rate-limited.
      if (reply.statusCode === 429) return tally.count(req.ip, action);
      return recordAnonymous(opts, req, reply.statusCode, answers.get(req)?.code, action);
    }
    const answer = answers.get(req) ?? { ids: {} };
    const params = plainObject(req.params);
    // Every environment is what a scope check needs, not a target worth recording.
    const environments = (await opts.environmentsOf(req)).filter((e) => e !== EVERY_ENVIRONMENT);
    const release =
      (url?.startsWith('/api/v1/releases/:id') ? str(params.id) : undefined) ?? answer.ids.release;
    // Under /environments/:name the name is the environment, already recorded as such.
    const target =
      str(params.secret) ??
      str(params.version) ??
      (url?.startsWith('/api/v1/environments/:name') ? undefined : str(params.name)) ??
      (url?.startsWith('/api/v1/releases/:id') ? undefined : str(params.id)) ??
      answer.ids.other;
    const query = plainObject(req.query);
    const body = url && !BODY_NOT_RECORDED.test(url) ? plainObject(req.body) : {};
    const service = opts.serviceOf?.(req);
    const details: Record<string, unknown> = {
      ...(service !== undefined ? { service } : {}),
      ...(Object.keys(params).length > 0 ? { params } : {}),
      ...(Object.keys(query).length > 0 ? { query } : {}),
      ...(Object.keys(body).length > 0 ? { body } : {}),
      ...(environments.length > 1 ? { environments } : {}),
      ...(reply.statusCode >= 400 && answer.message ? { message: answer.message } : {}),
    };
    try {
      await opts.audit.record({
        actor: req.actor ?? { ...ANONYMOUS, address: req.ip },
        address: req.ip,
        action,
        environment: environments[0] ?? null,
        release: release ?? null,
        target: target ?? null,
        status: reply.statusCode,
        error: reply.statusCode >= 400 ? (answer.code ?? `HTTP_${reply.statusCode}`) : null,
        details,
      });
    } catch (err) {
      opts.logger.error({ err, action: `${req.method} ${url}` }, 'could not write the audit log entry');
    }
  });
}

async function recordAnonymous(
  opts: AuditHookOptions,
  req: FastifyRequest,
  status: number,
  code: string | undefined,
  action: string,
): Promise<void> {
  try {
    await opts.audit.record({
      actor: { ...ANONYMOUS, address: req.ip },
      address: req.ip,
      action: compactAction(action),
      status,
      error: code ? code.slice(0, 64) : `HTTP_${status}`,
    });
  } catch (err) {
    opts.logger.error({ err, action: compactAction(action) }, 'could not write the audit log entry');
  }
}

function readAnswer(payload: string): Answer {
  try {
    const body = JSON.parse(payload) as Record<string, unknown>;
    const error = plainObject(body.error);
    const ids: Record<string, string> = {};
    const release = str(plainObject(body.release).id);
    if (release) ids.release = release;
    for (const key of ['token', 'silence', 'incident', 'version']) {
      const v = plainObject(body[key]);
      const id = str(v.id) ?? str(v.version);
      if (id) {
        ids.other = id;
        break;
      }
    }
    return {
      ...(str(error.code) ? { code: str(error.code) } : {}),
      ...(str(error.message) ? { message: str(error.message) } : {}),
      ids,
    };
  } catch {
    return { ids: {} };
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
