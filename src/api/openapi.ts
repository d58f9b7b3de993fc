// The OpenAPI 3.1 document (/api/v1/openapi.json), built from the routes' own entries: each
// operation's operationId, parameters, request body and, for every answer, the JSON Schema of its
// body generated from the zod schema the handler answers with. Error answers share one schema
// (components.schemas.ApiError).
import { z } from 'zod';
import { defaultAccess } from '../auth/types.ts';
import { errorBodySchema, type RouteDoc } from './route-doc.ts';

const ERROR_REF = { $ref: '#/components/schemas/ApiError' };
const EVENT_STREAM = 'text/event-stream';

export function openApiDocument(routes: readonly RouteDoc[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = r.path.replace(/:(\w+)|\*$/g, (_m, name: string | undefined) => `{${name ?? 'path'}}`);
    paths[p] = { ...(paths[p] ?? {}), [r.method.toLowerCase()]: operation(r) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gantry API',
      version,
      description: 'Releases, environments, versions and instances of a Gantry server.',
    },
    components: {
      schemas: { ApiError: schemaOf(errorBodySchema, 'output') },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API token (gantry_…) from `gantry tokens create` or <data-dir>/admin-token',
        },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'gantry_session',
          description: "The dashboard's session, from POST /api/v1/session",
        },
      },
    },
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    paths,
  };
}

function operation(r: RouteDoc): Record<string, unknown> {
  const access = r.access ?? defaultAccess(r.method);
  const open = access === 'public' || access === 'webhook';
  const errors = errorAnswers(r, access, open);
  const op: Record<string, unknown> = {
    operationId: r.operationId,
    summary: r.summary,
    tags: [r.tag],
    parameters: [...pathParams(r.path), ...(r.query ? queryParams(r.query) : [])],
    responses: {
      ...Object.fromEntries(
        Object.entries(r.responses).map(([status, a]) => [
          status,
          {
            description: a.description,
            content: {
              [a.contentType ?? 'application/json']: { schema: schemaOf(a.schema, 'output') },
              // A route that streams answers `Accept: text/event-stream` with Server-Sent Events.
              ...(r.sse ? { [EVENT_STREAM]: { schema: { type: 'string' } } } : {}),
            },
          },
        ]),
      ),
      ...Object.fromEntries(
        Object.entries(errors)
          .filter(([status]) => r.responses[Number(status)] === undefined)
          .map(([status, d]) => [
            status,
            { description: d, content: { 'application/json': { schema: ERROR_REF } } },
          ]),
      ),
    },
    // Who may call it; public and webhook routes need no token (a webhook is checked by its signature).
    'x-gantry-access': access,
    ...(open ? { security: [] } : {}),
  };
  if (r.body) {
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: schemaOf(r.body, 'input') } },
    };
  } else if (r.bodyContentType) {
    op.requestBody = {
      required: true,
      content: { [r.bodyContentType]: { schema: { type: 'string', format: 'binary' } } },
    };
  }
  return op;
}

/** Error answers by status: those every route of its kind may give, then the route's own. */
function errorAnswers(r: RouteDoc, access: string, open: boolean): Record<number, string> {
  const errors: Record<number, string> = {};
  if (r.body || r.query || r.path.includes(':')) errors[400] = 'invalid request: every problem and its field';
  if (!open) {
    errors[401] = 'no token, or not a valid one (unknown, revoked or expired)';
    errors[403] = `the token's role is below ${access} (or not for this environment)`;
    errors[429] = 'too many requests without valid credentials from this address (Retry-After says when)';
  }
  if (r.method !== 'GET') errors[507] = 'the disk is full: nothing was written';
  errors[500] = 'internal error (logged by the server)';
  return { ...errors, ...r.errors };
}

/** A zod schema as an inline JSON Schema (2020-12, as OpenAPI 3.1 has it), without its `$schema`. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, reused: 'inline' }) as Record<string, unknown>;
  return rest;
}

/** `:name` segments, and a trailing `*` (fastify's wildcard) as `path`. */
function pathParams(path: string): Array<Record<string, unknown>> {
  const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
  if (path.endsWith('*')) names.push('path');
  return names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
}

function queryParams(schema: z.ZodType): Array<Record<string, unknown>> {
  const js = schemaOf(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
  }));
}
