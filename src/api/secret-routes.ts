// Secrets over the API: names and dates only, never a value, in any answer or error.
//   GET/PUT/DELETE /api/v1/environments/:name/secrets[/:secret]  (an environment's secrets)
//   GET/PUT/DELETE /api/v1/secrets[/:secret]                     (global: `${secret:NAME}` in gantry.yaml)
//   POST /api/v1/secrets/rotate-key                              (re-encrypt everything under a new key)
// The routes live in their own scope with their own JSON parser: the default one quotes the body
// in its syntax errors, and these bodies are secrets.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listSecretReferences } from '../config/secret-refs.ts';
import type { LoadedConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import {
  checkSecretName,
  describeScope,
  GLOBAL_SCOPE,
  MAX_VALUE_BYTES,
  parseMasterKey,
  readSecretValue,
  type SecretService,
} from '../secrets/index.ts';
import type { KeyRotationResult, RestartOutcome, SecretMeta } from '../secrets/types.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

const SECRET_REF = `\${secret:NAME}`;

const secretViewSchema = z.object({
  name: z.string(),
  environment: z.string().nullable().meta({ description: 'null for a global secret.' }),
  updatedAt: isoTime,
  updatedBy: z.string().nullable(),
  unreadable: z.literal(true).optional().meta({
    description: 'The row exists but does not decrypt (altered in the database): treated as not set.',
  }),
  used: z
    .boolean()
    .meta({ description: 'The environment lists it in `secrets:` (global: gantry.yaml refers to it).' }),
}) satisfies z.ZodType<SecretMeta & { used: boolean }>;
export type SecretView = z.infer<typeof secretViewSchema>;

export const secretResponses = {
  list: z.object({
    environment: z.string().nullable().meta({ description: 'null for the global secrets.' }),
    secrets: z.array(secretViewSchema),
    missing: z.array(z.string()).meta({
      description:
        'Names gantry.yaml needs here that are not set (global: references resolved by no secret and no variable).',
    }),
    keyId: z.string(),
  }),
  set: z.object({
    secret: secretViewSchema,
    created: z.boolean(),
    restart: z
      .object({
        releaseId: z.string().nullable(),
        activeReleaseId: z.string().optional(),
        message: z.string(),
      })
      .nullable()
      .meta({
        description: 'The rolling restart that brings the value to the instances; null when none was needed.',
      }),
  }),
  remove: z.object({
    removed: z.object({ name: z.string(), environment: z.string().nullable() }),
    note: z.string().nullable(),
  }),
  rotation: z.object({
    rotation: z.object({
      previousKeyId: z.string(),
      keyId: z.string(),
      source: z.enum(['env', 'file']),
      reencrypted: z.number().int(),
      note: z.string(),
    }) satisfies z.ZodType<KeyRotationResult>,
  }),
};
export type SecretListResponse = z.infer<typeof secretResponses.list>;
export type SecretSetResponse = z.infer<typeof secretResponses.set>;
export type SecretRemoveResponse = z.infer<typeof secretResponses.remove>;
export type KeyRotationResponse = z.infer<typeof secretResponses.rotation>;

export interface SecretRouteDeps {
  secrets: SecretService;
  config: () => LoadedConfig;
  /** Rolling restart of an environment listing the secret just set (undefined: it does not list it). */
  restart: (change: {
    environment: string;
    name: string;
    by: string | null;
  }) => Promise<RestartOutcome | undefined>;
}

const valueBody = z.object({ value: z.string().min(1).max(MAX_VALUE_BYTES) }).strict();
const rotateBody = z
  .object({
    newKey: z
      .string()
      .optional()
      .describe(
        'The new key (64 hex digits or base64 of 32 bytes); required when the key is in GANTRY_MASTER_KEY',
      ),
  })
  .strict();
const forceQuery = z
  .object({ force: z.enum(['true', 'false']).optional().describe('remove a secret gantry.yaml still uses') })
  .strict();

export const secretRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/api/v1/environments/:name/secrets',
    operationId: 'listEnvironmentSecrets',
    access: 'deployer',
    summary: "An environment's secrets: names, when and by whom they were set, and the listed ones not set",
    tag: 'secrets',
    responses: { 200: json('SecretListResponse', secretResponses.list) },
    errors: { 404: 'unknown environment' },
  },
  {
    method: 'PUT',
    path: '/api/v1/environments/:name/secrets/:secret',
    operationId: 'setEnvironmentSecret',
    access: 'admin',
    summary:
      'Set a secret of an environment (encrypted at rest); if the environment lists it, its instances get it by a rolling restart',
    tag: 'secrets',
    body: valueBody,
    responses: { 200: json('SecretSetResponse', secretResponses.set) },
    errors: { 400: 'bad name or value', 404: 'unknown environment' },
  },
  {
    method: 'DELETE',
    path: '/api/v1/environments/:name/secrets/:secret',
    operationId: 'removeEnvironmentSecret',
    access: 'admin',
    summary: 'Remove a secret of an environment',
    tag: 'secrets',
    query: forceQuery,
    responses: { 200: json('SecretRemoveResponse', secretResponses.remove) },
    errors: { 404: 'no such secret', 409: 'the environment lists it (force=true removes it anyway)' },
  },
  {
    method: 'GET',
    path: '/api/v1/secrets',
    operationId: 'listGlobalSecrets',
    access: 'deployer',
    summary: `Global secrets (for \`${SECRET_REF}\` in gantry.yaml): names and dates, and the references left unresolved`,
    tag: 'secrets',
    responses: { 200: json('SecretListResponse', secretResponses.list) },
  },
  {
    method: 'PUT',
    path: '/api/v1/secrets/:secret',
    operationId: 'setGlobalSecret',
    access: 'admin',
    summary: `Set a global secret, used by \`${SECRET_REF}\` references (before the server variable NAME)`,
    tag: 'secrets',
    body: valueBody,
    responses: { 200: json('SecretSetResponse', secretResponses.set) },
    errors: { 400: 'bad name or value' },
  },
  {
    method: 'DELETE',
    path: '/api/v1/secrets/:secret',
    operationId: 'removeGlobalSecret',
    access: 'admin',
    summary: 'Remove a global secret',
    tag: 'secrets',
    query: forceQuery,
    responses: { 200: json('SecretRemoveResponse', secretResponses.remove) },
    errors: { 404: 'no such secret', 409: 'gantry.yaml refers to it (force=true removes it anyway)' },
  },
  {
    method: 'POST',
    path: '/api/v1/secrets/rotate-key',
    operationId: 'rotateMasterKey',
    access: 'admin',
    summary:
      'Re-encrypt every secret under a new master key in one transaction (a new key file, or the given key for GANTRY_MASTER_KEY)',
    tag: 'secrets',
    body: rotateBody,
    responses: { 200: json('KeyRotationResponse', secretResponses.rotation) },
    errors: { 400: 'bad key', 409: 'the key is in GANTRY_MASTER_KEY and no new key was given' },
  },
];

export function registerSecretRoutes(app: FastifyInstance, deps: SecretRouteDeps): void {
  app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? undefined : JSON.parse(body as string));
      } catch {
        done(new GantryError('BAD_REQUEST', 'the body is not valid JSON: send {"value": "…"}'), undefined);
      }
    });
    registerRoutes(scope, deps);
  });
}

function registerRoutes(app: FastifyInstance, deps: SecretRouteDeps): void {
  const { secrets } = deps;

  app.get<{ Params: { name: string } }>('/api/v1/environments/:name/secrets', async (req) =>
    listing(deps, environmentOf(deps, req.params.name)),
  );

  app.get('/api/v1/secrets', async () => listing(deps, GLOBAL_SCOPE));

  app.put<{ Params: { name: string; secret: string } }>(
    '/api/v1/environments/:name/secrets/:secret',
    async (req) => set(deps, req, environmentOf(deps, req.params.name), req.params.secret),
  );

  app.put<{ Params: { secret: string } }>('/api/v1/secrets/:secret', async (req) => {
    requireUnscoped(req, 'set a global secret');
    return set(deps, req, GLOBAL_SCOPE, req.params.secret);
  });

  app.delete<{ Params: { name: string; secret: string } }>(
    '/api/v1/environments/:name/secrets/:secret',
    async (req) => remove(deps, req, environmentOf(deps, req.params.name), req.params.secret),
  );

  app.delete<{ Params: { secret: string } }>('/api/v1/secrets/:secret', async (req) => {
    requireUnscoped(req, 'remove a global secret');
    return remove(deps, req, GLOBAL_SCOPE, req.params.secret);
  });

  app.post('/api/v1/secrets/rotate-key', async (req) => {
    requireUnscoped(req, 'rotate the master key');
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new GantryError('BAD_REQUEST', 'expected a JSON object {"newKey": "…"} or no body');
    }
    const others = Object.keys(body).filter((k) => k !== 'newKey').length;
    if (others > 0) {
      throw new GantryError(
        'BAD_REQUEST',
        `the body has ${others} key(s) besides "newKey": send only {"newKey": "…"}`,
      );
    }
    if (body.newKey !== undefined && typeof body.newKey !== 'string') {
      throw new GantryError('BAD_REQUEST', 'newKey: expected a string');
    }
    const newKey = typeof body.newKey === 'string' ? parseMasterKey(body.newKey, 'newKey') : undefined;
    const response: KeyRotationResponse = { rotation: await secrets.rotateKey(newKey) };
    return response;
  });
}

async function set(
  deps: SecretRouteDeps,
  req: FastifyRequest,
  environment: string,
  name: string,
): Promise<SecretSetResponse> {
  checkSecretName(name);
  const value = readSecretValue(req.body);
  const by = req.actor?.name ?? null;
  const { secret, created } = await deps.secrets.set(environment, name, value, by);
  const restart = environment === GLOBAL_SCOPE ? undefined : await deps.restart({ environment, name, by });
  const used = usedNames(deps.config(), environment);
  return { secret: view(secret, used), created, restart: restart ?? null };
}

async function remove(
  deps: SecretRouteDeps,
  req: FastifyRequest,
  environment: string,
  name: string,
): Promise<SecretRemoveResponse> {
  checkSecretName(name);
  const force = forceQuery.parse(req.query ?? {}).force === 'true';
  if (!deps.secrets.list(environment).some((s) => s.name === name)) {
    throw new GantryError('UNKNOWN_SECRET', `there is no ${describeScope(environment)} secret ${name}`);
  }
  const used = usedNames(deps.config(), environment).includes(name);
  if (used && !force) {
    throw new GantryError(
      'SECRET_IN_USE',
      environment === GLOBAL_SCOPE
        ? `gantry.yaml refers to \${secret:${name}}: removing it makes that reference fall back to the server's variable ${name}, or fail`
        : `${environment} lists ${name} in its secrets: without it, the next release of ${environment} fails before starting any instance`,
    );
  }
  await deps.secrets.remove(environment, name);
  const note = used
    ? environment === GLOBAL_SCOPE
      ? `\${secret:${name}} now resolves from the server's variable ${name}, if it is set`
      : `the running instances of ${environment} keep ${name} until they are replaced; releases of ${environment} fail until it is set again`
    : null;
  return { removed: { name, environment: environment === GLOBAL_SCOPE ? null : environment }, note };
}

function listing(deps: SecretRouteDeps, environment: string): SecretListResponse {
  const used = usedNames(deps.config(), environment);
  const secrets = deps.secrets.list(environment).map((s) => view(s, used));
  const missing =
    environment === GLOBAL_SCOPE
      ? used.filter((n) => deps.secrets.lookup(n) === undefined)
      : used.filter((n) => !deps.secrets.has(environment, n));
  return {
    environment: environment === GLOBAL_SCOPE ? null : environment,
    secrets,
    missing,
    keyId: deps.secrets.key.id,
  };
}

function view(s: SecretMeta, used: readonly string[]): SecretView {
  return { ...s, used: used.includes(s.name) };
}

/** The names gantry.yaml needs in a scope: an environment's `secrets:`, or every `${secret:NAME}`. */
function usedNames(loaded: LoadedConfig, environment: string): string[] {
  if (environment !== GLOBAL_SCOPE) return loaded.config.environments[environment]?.secrets ?? [];
  return [...new Set(listSecretReferences(JSON.stringify(loaded.config)))];
}

function environmentOf(deps: SecretRouteDeps, name: string): string {
  const loaded = deps.config();
  if (!loaded.config.environments[name]) {
    throw new GantryError(
      'UNKNOWN_ENVIRONMENT',
      `no environment ${name} in ${loaded.file} (known: ${Object.keys(loaded.config.environments).join(', ')})`,
      {
        hint: `Global secrets (for \`${SECRET_REF}\` references) are under /api/v1/secrets (\`--global\` in the CLI).`,
      },
    );
  }
  return name;
}

/** Global secrets and the master key concern every environment: a token scoped to some may not touch them. */
function requireUnscoped(req: FastifyRequest, what: string): void {
  const actor = req.actor;
  if (actor?.environments === undefined) return;
  throw new GantryError(
    'FORBIDDEN',
    `a token limited to ${actor.environments.join(', ')} cannot ${what}: that concerns every environment`,
    { hint: 'Use a token without --env (`gantry tokens create --role admin`).' },
  );
}
