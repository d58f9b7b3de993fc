// Enforcement on every route: who is asking (onRequest: bearer token or session cookie, refused
// with 401 before any body is read), whether a change made with the session cookie comes from the
// dashboard itself (403 otherwise), whether their role is enough (403), and, once the body is
// parsed, whether an environment-scoped token may act on the environments the request concerns.
// Reading is open to every valid token: scopes limit what a token may change, not what it sees.
// A read still open when its token is revoked or expires, or its session ends, is cut then.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GantryError } from '../lib/errors.ts';
import { crossSiteReason, presentedCredentials } from './credentials.ts';
import { OpenReads } from './open-reads.ts';
import { RefusalBudget } from './refusal-budget.ts';
import { type EnvironmentsOf, EVERY_ENVIRONMENT } from './scope.ts';
import type { AuthFailureReason, AuthService } from './service.ts';
import { type Access, type Actor, actorMay, type Role } from './types.ts';

export interface AuthHookOptions {
  auth: AuthService;
  /** The access a request needs: from the route table by method and route (url undefined: no route). */
  accessOf: (method: string, url: string | undefined, pathname: string) => Access;
  environmentsOf: EnvironmentsOf;
  /** Refused unauthenticated requests per client address; past it they get 429 (see refusal-budget.ts). */
  refusals?: RefusalBudget;
  now?: () => number;
}

const HINTS: Record<AuthFailureReason | 'missing', string> = {
  missing:
    'Send `Authorization: Bearer <token>`. The CLI reads GANTRY_TOKEN, else <data-dir>/admin-token (written at the first start); an admin creates more with `gantry tokens create`; the dashboard logs in at /login.',
  invalid:
    'Check the token sent (GANTRY_TOKEN, or <data-dir>/admin-token for the CLI); an admin lists tokens with `gantry tokens list` and creates one with `gantry tokens create`.',
  expired: 'Ask an admin for a new token (`gantry tokens create --role ROLE --expires 30d`).',
  session_ended: 'Log in again at /login.',
};

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function registerAuthHooks(app: FastifyInstance, opts: AuthHookOptions): void {
  const access = new WeakMap<FastifyRequest, Access>();
  const reads = new OpenReads();
  opts.auth.onCredentialsEnded((ended) => reads.end(ended));

  const refusals = opts.refusals ?? new RefusalBudget();
  const now = opts.now ?? Date.now;
  // Every request answered 401 without an actor counts against its address (a login with a wrong
  // token, a webhook with a wrong signature included).
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 401 && !req.actor) refusals.refused(req.ip, now());
  });
  const refuse = (
    req: FastifyRequest,
    reply: FastifyReply,
    reason: AuthFailureReason | 'missing',
    message: string,
  ) => {
    const wait = refusals.exhausted(req.ip, now());
    return wait > 0 ? tooManyRefusals(reply, refusals.limit, wait) : unauthorized(reply, reason, message);
  };

  app.addHook('onRequest', async (req, reply) => {
    const needed = opts.accessOf(req.method, req.routeOptions.url, req.url.split('?')[0] ?? '/');
    access.set(req, needed);
    if (needed === 'public' || needed === 'webhook') {
      // A login or a webhook delivery proves itself later: changes from an address refused too often wait.
      const wait = READS.has(req.method) ? 0 : refusals.exhausted(req.ip, now());
      return wait > 0 ? tooManyRefusals(reply, refusals.limit, wait) : undefined;
    }
    const presented = presentedCredentials(req.headers);
    if (presented.kind === 'none') {
      return refuse(req, reply, 'missing', 'this endpoint needs a token, and the request carries none');
    }
    if (presented.kind === 'malformed') return refuse(req, reply, 'invalid', presented.message);
    const result =
      presented.kind === 'bearer'
        ? await opts.auth.authenticateToken(presented.secret)
        : await opts.auth.authenticateSession(presented.secret);
    if (!result.ok) return refuse(req, reply, result.reason, result.message);
    const actor: Actor = { ...result.actor, address: req.ip };
    req.actor = actor;
    if (presented.kind === 'cookie' && !READS.has(req.method)) {
      const crossSite = crossSiteReason(req.headers);
      if (crossSite) return refuseCrossSite(reply, crossSite);
    }
    if (!actorMay(actor, needed)) return forbidden(reply, actor, needed);
    if (READS.has(req.method)) {
      reads.add(reply.raw, {
        tokenId: result.token.id,
        endsAt: result.endsAt,
        ...(result.session ? { session: result.session } : {}),
      });
    }
  });

  app.addHook('preHandler', async (req, reply) => {
    const needed = access.get(req);
    const actor = req.actor;
    if (!actor?.environments || (needed !== 'deployer' && needed !== 'admin')) return;
    for (const environment of await opts.environmentsOf(req)) {
      if (!actorMay(actor, needed, environment)) return forbidden(reply, actor, needed, environment);
    }
  });
}

function unauthorized(reply: FastifyReply, reason: AuthFailureReason | 'missing', message: string) {
  const challenge =
    reason === 'missing'
      ? 'Bearer realm="gantry"'
      : `Bearer realm="gantry", error="invalid_token", error_description="${reason}"`;
  const err = new GantryError('UNAUTHORIZED', message, { hint: HINTS[reason], details: { reason } });
  return reply.code(401).header('www-authenticate', challenge).send(err.toJSON());
}

function tooManyRefusals(reply: FastifyReply, limit: number, wait: number) {
  const err = new GantryError(
    'RATE_LIMITED',
    `too many requests without valid credentials from this address (${limit} refused within a minute); try again in ${wait} s`,
    {
      hint: 'Send a valid token (`Authorization: Bearer <token>`); requests with one are not limited. The server sets the limit with `gantry server --refusal-limit N`.',
      details: { reason: 'unauthenticated', limit, retryAfterSeconds: wait },
    },
  );
  return reply.code(429).header('retry-after', String(wait)).send(err.toJSON());
}

function refuseCrossSite(reply: FastifyReply, why: string) {
  const err = new GantryError(
    'FORBIDDEN',
    `the dashboard session may not make this change: ${why} (a page elsewhere may be trying to act with your session)`,
    {
      hint: 'Make the change from the dashboard itself, or from a script with `Authorization: Bearer <token>`.',
      details: { reason: 'cross_site' },
    },
  );
  return reply.code(403).send(err.toJSON());
}

function forbidden(reply: FastifyReply, actor: Actor, needed: Role, environment?: string) {
  const holder = `${actor.kind === 'token' ? 'token ' : ''}${actor.name} (${actor.id})`;
  const scope = actor.environments ? ` on ${actor.environments.join(', ')} only` : '';
  const where = environment === EVERY_ENVIRONMENT ? 'every environment' : environment;
  const message =
    where === undefined
      ? `this needs the ${needed} role; ${holder} has ${actor.role}${scope}`
      : `this needs the ${needed} role on ${where}; ${holder} has ${actor.role}${scope}`;
  const err = new GantryError('FORBIDDEN', message, {
    hint: `Ask an admin for a token with that role (\`gantry tokens create --role ${needed}${environment && environment !== EVERY_ENVIRONMENT ? ` --env ${environment}` : ''}\`).`,
    details: {
      needed,
      held: actor.role,
      ...(environment !== undefined ? { environment } : {}),
      ...(actor.environments ? { environments: actor.environments } : {}),
    },
  });
  return reply.code(403).send(err.toJSON());
}
