// One table of the API's routes: the handlers validate with these zod schemas, and the OpenAPI
// document is generated from the same entries, so the two cannot drift apart.
import { z } from 'zod';
import { type Access, defaultAccess } from '../auth/types.ts';
import { VERSION_NAME_PATTERN, VERSION_NAME_RULE } from '../lib/names.ts';
import { ackLinkRouteDocs } from './ack-link-routes.ts';
import { alarmRouteDocs } from './alarm-routes.ts';
import { auditRouteDocs } from './audit-routes.ts';
import { authRouteDocs } from './auth-routes.ts';
import { backupRouteDocs } from './backup-routes.ts';
import { doraRouteDocs } from './dora-routes.ts';
import { hookRouteDocs } from './hook-routes.ts';
import { imageRouteDocs } from './image-routes.ts';
import { incidentRouteDocs } from './incident-routes.ts';
import { logRouteDocs } from './logs-routes.ts';
import { metricsRouteDocs } from './metrics-routes.ts';
import { notifyRouteDocs } from './notify-routes.ts';
import { oncallRouteDocs } from './oncall-routes.ts';
import { policyOverrideSchema, policyRouteDocs } from './policy-routes.ts';
import { schemaRouteDocs } from './schema-routes.ts';
import { secretRouteDocs } from './secret-routes.ts';
import { sloRouteDocs } from './slo-routes.ts';
import { webRouteDocs } from './web-routes.ts';

export interface RouteDoc {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string; // fastify syntax, /api/v1/releases/:id
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodType;
  bodyContentType?: string;
  responses: Record<number, string>;
  sse?: boolean;
  /**
   * Who may call it: 'public' (no token), a role (viewer < deployer < admin), or 'webhook' (no
   * token; the handler checks the sender's signature). Default: GET viewer, anything else deployer.
   */
  access?: Access;
}

const versionName = z.string().regex(VERSION_NAME_PATTERN, VERSION_NAME_RULE);
const envName = z.string().min(1).max(64);

export const schemas = {
  createRelease: z
    .object({
      environment: envName.optional(),
      ref: z.string().min(1).max(256).optional(),
      version: versionName,
      image: z.string().min(1).max(512).optional().meta({
        description: 'Runtime docker: the image of a version not recorded yet; default run.image:<version>.',
      }),
      override: policyOverrideSchema.optional(),
    })
    .strict()
    .refine((b) => (b.environment === undefined) !== (b.ref === undefined), {
      message: 'give exactly one of environment or ref',
    }),
  promote: z
    .object({
      from: envName,
      to: envName,
      version: versionName.optional(),
      override: policyOverrideSchema.optional(),
    })
    .strict(),
  rollback: z
    .object({ environment: envName, to: versionName.optional(), override: policyOverrideSchema.optional() })
    .strict(),
  listReleases: z
    .object({ environment: envName.optional(), limit: z.coerce.number().int().min(1).max(500).default(50) })
    .strict(),
  events: z.object({ after: z.coerce.number().int().min(0).default(0) }).strict(),
  status: z.object({ environment: envName.optional() }).strict(),
  upload: z
    .object({
      ref: z.string().max(256).optional(),
      commit: z.string().max(64).optional(),
      commit_time: z.iso
        .datetime({ offset: true })
        .optional()
        .meta({ description: 'When `commit` was made (ISO-8601): DORA lead time counts from it.' }),
    })
    .strict()
    .refine((q) => q.commit_time === undefined || q.commit !== undefined, {
      message: 'commit_time needs the commit it is the time of: add commit=SHA',
    }),
  releaseActionParams: z.object({ id: z.string(), action: z.enum(['abort', 'pause', 'resume', 'promote']) }),
  releaseAction: z.object({ reason: z.string().max(500).optional() }).strict(),
  events_list: z
    .object({
      environment: envName.optional(),
      instance: z.string().max(200).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    })
    .strict(),
  logs: z.object({ limit: z.coerce.number().int().min(1).max(5000).default(200) }).strict(),
  versionParam: z.object({ version: versionName }),
};

export const routes: RouteDoc[] = [
  ...metricsRouteDocs,
  ...alarmRouteDocs,
  ...notifyRouteDocs,
  ...incidentRouteDocs,
  ...logRouteDocs,
  ...secretRouteDocs,
  ...webRouteDocs,
  ...authRouteDocs,
  ...auditRouteDocs,
  ...backupRouteDocs,
  ...hookRouteDocs,
  ...schemaRouteDocs,
  ...policyRouteDocs,
  ...imageRouteDocs,
  ...sloRouteDocs,
  ...doraRouteDocs,
  ...oncallRouteDocs,
  ...ackLinkRouteDocs,
  {
    method: 'GET',
    path: '/health',
    access: 'public',
    summary: "Gantry's own liveness (application/health+json)",
    tag: 'health',
    responses: { 200: 'pass' },
  },
  {
    method: 'GET',
    path: '/readiness',
    access: 'public',
    summary: 'Store reachable and data plane running (application/health+json)',
    tag: 'health',
    responses: { 200: 'pass', 503: 'fail' },
  },
  {
    method: 'GET',
    path: '/api/v1/openapi.json',
    access: 'viewer',
    summary: 'This document',
    tag: 'meta',
    responses: { 200: 'OpenAPI 3.1' },
  },
  {
    method: 'GET',
    path: '/api/v1/status',
    access: 'viewer',
    summary: 'Every environment: version, instances, readiness, release in progress',
    tag: 'environments',
    query: schemas.status,
    responses: { 200: 'StatusBody' },
  },
  {
    method: 'GET',
    path: '/api/v1/services',
    access: 'viewer',
    summary: 'Services and their environments',
    tag: 'environments',
    responses: { 200: 'list' },
  },
  {
    method: 'GET',
    path: '/api/v1/environments',
    access: 'viewer',
    summary: 'Environments',
    tag: 'environments',
    responses: { 200: 'EnvironmentView[]' },
  },
  {
    method: 'GET',
    path: '/api/v1/environments/:name',
    access: 'viewer',
    summary: 'One environment',
    tag: 'environments',
    responses: { 200: 'EnvironmentView', 404: 'unknown environment' },
  },
  {
    method: 'GET',
    path: '/api/v1/versions',
    access: 'viewer',
    summary: 'Uploaded versions, newest first',
    tag: 'versions',
    responses: { 200: 'VersionView[]' },
  },
  {
    method: 'POST',
    path: '/api/v1/versions/:version/artifact',
    access: 'deployer',
    summary:
      'Upload the artifact of a version as .tar.gz (or .tar), with the SHA-256 of the body in X-Checksum-Sha256; versions are immutable; a push trigger waiting for the version starts its release',
    tag: 'versions',
    query: schemas.upload,
    bodyContentType: 'application/gzip',
    responses: {
      201: 'created',
      200: 'the same bytes were already uploaded',
      400: 'X-Checksum-Sha256 is not 64 hex digits',
      409: 'the version exists with other bytes',
      413: 'larger than the server limit (gantry server --max-artifact-size); nothing stored',
      422: 'bad archive, or the bytes do not match X-Checksum-Sha256; nothing stored',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/releases',
    access: 'deployer',
    summary: 'Start a release to an environment, or to the one whose track rules match a git ref',
    tag: 'releases',
    body: schemas.createRelease,
    responses: {
      201: 'ReleaseResponse',
      404: 'unknown environment or version',
      409: 'release in progress',
      403: 'override asked for without the admin role',
      422: 'no track rule matches / refused by policy (POLICY_REFUSED names the rule) / override without a reason',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/promote',
    access: 'deployer',
    summary:
      'Release the version serving in one environment (or a given one) to another, honouring requires.passed',
    tag: 'releases',
    body: schemas.promote,
    responses: {
      201: 'ReleaseResponse',
      400: 'from and to name the same environment',
      403: 'override without the admin role',
      409: 'release in progress',
      422: 'requirement not met / refused by policy',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/rollback',
    access: 'deployer',
    summary: 'Release the previous successful version again (or a given one)',
    tag: 'releases',
    body: schemas.rollback,
    responses: {
      201: 'ReleaseResponse',
      403: 'override without the admin role',
      409: 'release in progress',
      422: 'nothing to roll back to / refused by the scan gate',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/releases',
    access: 'viewer',
    summary: 'Release history, newest first',
    tag: 'releases',
    query: schemas.listReleases,
    responses: { 200: 'ReleaseListResponse' },
  },
  {
    method: 'GET',
    path: '/api/v1/releases/:id',
    access: 'viewer',
    summary: 'A release and its events',
    tag: 'releases',
    responses: { 200: 'ReleaseDetailResponse', 404: 'not found' },
  },
  {
    method: 'GET',
    path: '/api/v1/releases/:id/events',
    access: 'viewer',
    summary: "A release's events; with Accept: text/event-stream a live stream ending when the release does",
    tag: 'releases',
    query: schemas.events,
    sse: true,
    responses: { 200: 'ReleaseEventsResponse or text/event-stream', 404: 'not found' },
  },
  {
    method: 'POST',
    path: '/api/v1/releases/:id/:action',
    access: 'deployer',
    summary:
      'Act on a release in flight: abort (roll back now), pause (hold the canary at its weight), resume, promote (skip the remaining steps)',
    tag: 'releases',
    body: schemas.releaseAction,
    responses: {
      200: 'ReleaseActionResponse',
      404: 'not found',
      409: 'the action does not apply to the release now',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/events',
    access: 'viewer',
    summary:
      'Environment events outside releases (instance crashes, restarts, readiness changes), newest first',
    tag: 'environments',
    query: schemas.events_list,
    responses: { 200: 'EnvironmentEventsResponse' },
  },
  {
    method: 'POST',
    path: '/api/v1/config/reload',
    access: 'admin',
    summary:
      'Re-read gantry.yaml: validated whole first; alarms, synthetics, notify, smtp, incidents, checks apply live; other changes are refused (409) until a restart',
    tag: 'meta',
    responses: {
      200: '{ reloaded: { file, applied } }',
      409: 'a change needs a restart',
      422: 'the file is not valid',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/instances',
    access: 'viewer',
    summary: 'Running instances',
    tag: 'instances',
    query: schemas.status,
    responses: { 200: 'InstanceListResponse' },
  },
  {
    method: 'GET',
    path: '/api/v1/instances/:id/logs',
    access: 'viewer',
    summary: "An instance's recent output",
    tag: 'instances',
    query: schemas.logs,
    responses: { 200: 'InstanceLogsResponse', 404: 'not found' },
  },
];

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = r.path.replace(/:(\w+)/g, '{$1}');
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = r.query ? queryParams(r.query) : [];
    const access = r.access ?? defaultAccess(r.method);
    const open = access === 'public' || access === 'webhook';
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      parameters: [...params, ...query],
      responses: Object.fromEntries([
        ...Object.entries(r.responses).map(([code, d]) => [code, { description: d }]),
        ...(open
          ? []
          : [
              ['401', { description: 'no token, or not a valid one (unknown, revoked or expired)' }],
              ['403', { description: `the token's role is below ${access} (or not for this environment)` }],
            ]),
      ]),
      // Who may call it; public and webhook routes need no token (a webhook is checked by its signature).
      'x-gantry-access': access,
      ...(open ? { security: [] } : {}),
    };
    if (r.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input' }) } },
      };
    } else if (r.bodyContentType) {
      op.requestBody = {
        required: true,
        content: { [r.bodyContentType]: { schema: { type: 'string', format: 'binary' } } },
      };
    }
    paths[p] = { ...(paths[p] ?? {}), [r.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gantry API',
      version,
      description: 'Releases, environments, versions and instances of a Gantry server.',
    },
    components: {
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

function queryParams(schema: z.ZodType): Array<Record<string, unknown>> {
  const js = z.toJSONSchema(schema, { io: 'input' }) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
  }));
}

/** Routes registered on the server but missing from the table (so from the OpenAPI document). */
export function undocumentedRoutes(registered: Array<{ method: string; url: string }>): string[] {
  const documented = new Set(routes.map((r) => `${r.method} ${r.path}`));
  return registered
    .filter((r) => r.method !== 'HEAD' && !documented.has(`${r.method} ${r.url}`))
    .map((r) => `${r.method} ${r.url}`);
}

const ACCESS = new Map(routes.map((r) => [`${r.method} ${r.path}`, r.access ?? defaultAccess(r.method)]));
/** Paths the dashboard's catch-all answers (with a 404) although they are not the dashboard's. */
const NOT_DASHBOARD = /^\/(api|metrics)(\/|$)/;

/**
 * The access a request needs, by its method and matched route (`url` undefined: none matched, and
 * a 404 is for token holders only, so that the API's shape is not open to anyone).
 */
export function routeAccess(method: string, url: string | undefined, pathname: string): Access {
  const found = url === undefined ? undefined : ACCESS.get(`${method === 'HEAD' ? 'GET' : method} ${url}`);
  if (found === undefined) return 'viewer';
  if (found === 'public' && url === '/*' && NOT_DASHBOARD.test(pathname)) return 'viewer';
  return found;
}
