// API tokens (admin: create, list, revoke) and the dashboard's session (log in with a token, see
// who is logged in, log out). A token is in the creation answer and nowhere else, ever. The
// handlers answer their own errors so that the routes behave the same on any fastify instance.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  clearedSessionCookie,
  reachedOverHttps,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
} from '../auth/credentials.ts';
import type { AuthService, TokenView } from '../auth/service.ts';
import { type Actor, ROLES, type Role } from '../auth/types.ts';
import { MAX_DURATION_TEXT, parseDuration } from '../config/units.ts';
import { GantryError } from '../lib/errors.ts';
import { answerError } from './answer-error.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

export type { TokenView };

const role = z.enum(ROLES as [Role, ...Role[]]);

const actorViewSchema = z.object({
  kind: z.enum(['token', 'webhook', 'system']) satisfies z.ZodType<Actor['kind']>,
  id: z.string(),
  name: z.string(),
  role,
  environments: z.array(z.string()).nullable(),
});
/** An actor as the API shows it. */
export type ActorView = z.infer<typeof actorViewSchema>;

const tokenViewSchema: z.ZodType<TokenView> = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z
    .string()
    .meta({ description: "The token's first characters: enough to recognise it, not to use it." }),
  role,
  environments: z
    .array(z.string())
    .nullable()
    .meta({ description: 'Environments the role applies to; null means every environment.' }),
  expiresAt: isoTime.nullable(),
  createdAt: isoTime,
  createdBy: z.string().nullable(),
  lastUsedAt: isoTime.nullable(),
  revokedAt: isoTime.nullable(),
  state: z.enum(['active', 'expired', 'revoked']),
});

const sessionResponse = z.object({
  actor: actorViewSchema,
  via: z.enum(['cookie', 'bearer']),
  expiresAt: isoTime.optional(),
});

export const authResponses = {
  createToken: z.object({
    token: tokenViewSchema,
    secret: z
      .string()
      .meta({ description: 'The token itself, shown in this answer and nowhere else, ever.' }),
  }),
  tokens: z.object({ tokens: z.array(tokenViewSchema) }),
  token: z.object({ token: tokenViewSchema }),
  session: sessionResponse,
  loggedOut: z.object({ loggedOut: z.literal(true) }),
};

/** POST /api/v1/tokens */
export interface CreateTokenRequest {
  name?: string;
  role: Role;
  /** Environments a deployer or admin token may change; every one when absent. */
  environments?: string[];
  /** A duration (`30d`, `12h`), or: */
  expiresIn?: string;
  /** An ISO-8601 time. Without either, the token does not expire. */
  expiresAt?: string;
}
/** 201: the token (shown this once) and its record. */
export type CreateTokenResponse = z.infer<typeof authResponses.createToken>;
export type TokenListResponse = z.infer<typeof authResponses.tokens>;
export type TokenResponse = z.infer<typeof authResponses.token>;
/** GET/POST /api/v1/session */
export type SessionResponse = z.infer<typeof authResponses.session>;

export interface AuthRouteDeps {
  auth: AuthService;
  /** Environments of gantry.yaml, to refuse a token scoped to one that does not exist. */
  environments: () => string[];
}

const envName = z.string().min(1).max(64);

export const authSchemas = {
  createToken: z
    .object({
      name: z.string().trim().min(1).max(100).optional(),
      role,
      environments: z.array(envName).max(50).optional(),
      expiresIn: z.string().max(32).optional(),
      expiresAt: z.string().max(64).optional(),
    })
    .strict()
    .refine((b) => b.expiresIn === undefined || b.expiresAt === undefined, {
      message: 'give at most one of expiresIn or expiresAt',
    }),
  tokenId: z.object({ id: z.string().min(1).max(100) }),
  login: z.object({ token: z.string().min(1).max(512) }).strict(),
};

export const authRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/tokens',
    operationId: 'listTokens',
    summary: 'API tokens, newest first (never the tokens themselves)',
    tag: 'auth',
    access: 'admin',
    responses: { 200: json('TokenListResponse', authResponses.tokens) },
  },
  {
    method: 'POST',
    path: '/api/v1/tokens',
    operationId: 'createToken',
    summary: 'Create a token (role viewer, deployer or admin; optional environments and expiry); shown once',
    tag: 'auth',
    access: 'admin',
    body: authSchemas.createToken,
    responses: { 201: json('CreateTokenResponse', authResponses.createToken) },
    errors: { 400: 'bad body', 404: 'unknown environment' },
  },
  {
    method: 'DELETE',
    path: '/api/v1/tokens/:id',
    operationId: 'revokeToken',
    summary: 'Revoke a token now (its record stays; its dashboard sessions end)',
    tag: 'auth',
    access: 'admin',
    responses: { 200: json('TokenResponse', authResponses.token) },
    errors: { 404: 'no such token' },
  },
  {
    method: 'GET',
    path: '/api/v1/session',
    operationId: 'getSession',
    summary: 'Who is calling: the token or dashboard session, its role and environments',
    tag: 'auth',
    access: 'viewer',
    responses: { 200: json('SessionResponse', authResponses.session) },
    errors: { 401: 'not logged in' },
  },
  {
    method: 'POST',
    path: '/api/v1/session',
    operationId: 'logIn',
    summary: 'Dashboard login: exchange a token for an HttpOnly, SameSite=Strict session cookie',
    tag: 'auth',
    access: 'public',
    body: authSchemas.login,
    responses: { 200: json('SessionResponse (and Set-Cookie)', authResponses.session) },
    errors: { 401: 'not a valid token' },
  },
  {
    method: 'DELETE',
    path: '/api/v1/session',
    operationId: 'logOut',
    summary: 'Dashboard logout: end the session and clear its cookie',
    tag: 'auth',
    access: 'public',
    responses: { 200: json('{ loggedOut: true }', authResponses.loggedOut) },
  },
];

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const { auth } = deps;

  app.get('/api/v1/tokens', (req, reply) =>
    answer(reply, async () => {
      requireUnscopedAdmin(req);
      const body: TokenListResponse = { tokens: await auth.listTokens() };
      return body;
    }),
  );

  app.post('/api/v1/tokens', (req, reply) =>
    answer(reply, async () => {
      requireUnscopedAdmin(req);
      const b = authSchemas.createToken.parse(req.body ?? {});
      const environments = b.environments ?? [];
      if (environments.length > 0 && b.role === 'viewer') {
        throw new GantryError(
          'BAD_REQUEST',
          'a viewer token reads every environment: environments do not apply',
          {
            hint: 'Leave out --env for a viewer, or give the token the deployer role limited to those environments.',
          },
        );
      }
      const known = deps.environments();
      const unknown = environments.filter((e) => !known.includes(e));
      if (unknown.length > 0) {
        throw new GantryError('UNKNOWN_ENVIRONMENT', `no environment ${unknown.join(', ')} in gantry.yaml`, {
          hint: `The environments are: ${known.join(', ')}.`,
        });
      }
      const created = await auth.createToken({
        name: b.name ?? defaultName(b.role, environments),
        role: b.role,
        environments,
        expiresAt: expiry(b.expiresIn, b.expiresAt),
        createdBy: req.actor?.name ?? null,
      });
      reply.code(201);
      const body: CreateTokenResponse = created;
      return body;
    }),
  );

  app.delete('/api/v1/tokens/:id', (req, reply) =>
    answer(reply, async () => {
      requireUnscopedAdmin(req);
      const { id } = authSchemas.tokenId.parse(req.params ?? {});
      const body: TokenResponse = { token: await auth.revokeToken(id) };
      return body;
    }),
  );

  app.get('/api/v1/session', (req, reply) =>
    answer(reply, async () => {
      if (!req.actor) throw new GantryError('UNAUTHORIZED', 'not logged in');
      const body: SessionResponse = {
        actor: actorView(req.actor),
        via: req.headers.authorization ? 'bearer' : 'cookie',
      };
      return body;
    }),
  );

  app.post('/api/v1/session', (req, reply) =>
    answer(reply, async () => {
      const { token } = authSchemas.login.parse(req.body ?? {});
      const opened = await auth.openSession(token.trim());
      if (!opened.ok) {
        throw new GantryError('UNAUTHORIZED', opened.message, {
          hint: 'Paste a token from `gantry tokens create` or the server’s <data-dir>/admin-token.',
          details: { reason: opened.reason },
        });
      }
      req.actor = { ...opened.actor, address: req.ip };
      reply.header(
        'set-cookie',
        sessionCookie(opened.session, opened.expiresAt, reachedOverHttps(req.protocol, req.headers)),
      );
      const body: SessionResponse = {
        actor: actorView(opened.actor),
        via: 'cookie',
        expiresAt: opened.expiresAt,
      };
      return body;
    }),
  );

  app.delete('/api/v1/session', (req, reply) =>
    answer(reply, async () => {
      const session = readCookie(req.headers.cookie, SESSION_COOKIE);
      if (session) {
        const who = await auth.authenticateSession(session);
        if (who.ok) req.actor = { ...who.actor, address: req.ip };
        await auth.closeSession(session);
      }
      reply.header('set-cookie', clearedSessionCookie(reachedOverHttps(req.protocol, req.headers)));
      const body: z.infer<typeof authResponses.loggedOut> = { loggedOut: true };
      return body;
    }),
  );
}

export function actorView(actor: Actor): ActorView {
  return {
    kind: actor.kind,
    id: actor.id,
    name: actor.name,
    role: actor.role,
    environments: actor.environments ? [...actor.environments] : null,
  };
}

/** A token limited to some environments must not mint itself a wider one. */
function requireUnscopedAdmin(req: FastifyRequest): void {
  const actor = req.actor;
  if (actor?.environments) {
    throw new GantryError(
      'FORBIDDEN',
      `managing tokens needs an admin token for every environment; ${actor.name} (${actor.id}) is limited to ${actor.environments.join(', ')}`,
      { details: { needed: 'admin', held: actor.role, environments: actor.environments } },
    );
  }
}

function expiry(expiresIn: string | undefined, expiresAt: string | undefined): string | null {
  if (expiresIn !== undefined) {
    const ms = parseDuration(expiresIn);
    if (ms === undefined || ms < 1000) {
      throw new GantryError(
        'BAD_REQUEST',
        `expiresIn ${expiresIn} is not a duration of at least 1s and ${MAX_DURATION_TEXT}`,
        {
          hint: 'Write it like 12h, 30d or 1h30m.',
        },
      );
    }
    return new Date(Date.now() + ms).toISOString();
  }
  if (expiresAt !== undefined) {
    const at = Date.parse(expiresAt);
    if (Number.isNaN(at) || at <= Date.now()) {
      throw new GantryError('BAD_REQUEST', `expiresAt ${expiresAt} is not a time in the future`, {
        hint: 'Write it as ISO-8601, e.g. 2027-01-31T00:00:00Z.',
      });
    }
    return new Date(at).toISOString();
  }
  return null;
}

function defaultName(role: Role, environments: string[]): string {
  return environments.length > 0 ? `${role}-${environments.join('-')}` : role;
}

async function answer(reply: FastifyReply, body: () => Promise<unknown>): Promise<FastifyReply> {
  try {
    return reply.send(await body());
  } catch (err) {
    return answerError(reply, err);
  }
}
