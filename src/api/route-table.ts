// One table of the API's routes: the handlers validate with these zod schemas, and the OpenAPI
// document is generated from the same entries, so the two cannot drift apart.
import { z } from 'zod';
import { alarmRouteDocs } from './alarm-routes.ts';
import { incidentRouteDocs } from './incident-routes.ts';
import { logRouteDocs } from './logs-routes.ts';
import { metricsRouteDocs } from './metrics-routes.ts';
import { notifyRouteDocs } from './notify-routes.ts';
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
}

const versionName = z.string().regex(/^[A-Za-z0-9._+-]{1,128}$/, 'letters, digits, . _ + - (at most 128)');
const envName = z.string().min(1).max(64);

export const schemas = {
  createRelease: z
    .object({
      environment: envName.optional(),
      ref: z.string().min(1).max(256).optional(),
      version: versionName,
      image: z.string().min(1).max(512).optional(),
    })
    .strict()
    .refine((b) => (b.environment === undefined) !== (b.ref === undefined), {
      message: 'give exactly one of environment or ref',
    }),
  promote: z.object({ from: envName, to: envName, version: versionName.optional() }).strict(),
  rollback: z.object({ environment: envName, to: versionName.optional() }).strict(),
  listReleases: z
    .object({ environment: envName.optional(), limit: z.coerce.number().int().min(1).max(500).default(50) })
    .strict(),
  events: z.object({ after: z.coerce.number().int().min(0).default(0) }).strict(),
  status: z.object({ environment: envName.optional() }).strict(),
  upload: z.object({ ref: z.string().max(256).optional(), commit: z.string().max(64).optional() }).strict(),
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
  ...webRouteDocs,
  {
    method: 'GET',
    path: '/health',
    summary: "Gantry's own liveness (application/health+json)",
    tag: 'health',
    responses: { 200: 'pass' },
  },
  {
    method: 'GET',
    path: '/readiness',
    summary: 'Store reachable and data plane running (application/health+json)',
    tag: 'health',
    responses: { 200: 'pass', 503: 'fail' },
  },
  {
    method: 'GET',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    tag: 'meta',
    responses: { 200: 'OpenAPI 3.1' },
  },
  {
    method: 'GET',
    path: '/api/v1/status',
    summary: 'Every environment: version, instances, readiness, release in progress',
    tag: 'environments',
    query: schemas.status,
    responses: { 200: 'StatusBody' },
  },
  {
    method: 'GET',
    path: '/api/v1/services',
    summary: 'Services and their environments',
    tag: 'environments',
    responses: { 200: 'list' },
  },
  {
    method: 'GET',
    path: '/api/v1/environments',
    summary: 'Environments',
    tag: 'environments',
    responses: { 200: 'EnvironmentView[]' },
  },
  {
    method: 'GET',
    path: '/api/v1/environments/:name',
    summary: 'One environment',
    tag: 'environments',
    responses: { 200: 'EnvironmentView', 404: 'unknown environment' },
  },
  {
    method: 'GET',
    path: '/api/v1/versions',
    summary: 'Uploaded versions, newest first',
    tag: 'versions',
    responses: { 200: 'VersionView[]' },
  },
  {
    method: 'POST',
    path: '/api/v1/versions/:version/artifact',
    summary: 'Upload the artifact of a version as .tar.gz (or .tar); versions are immutable',
    tag: 'versions',
    query: schemas.upload,
    bodyContentType: 'application/gzip',
    responses: {
      201: 'created',
      200: 'the same bytes were already uploaded',
      409: 'the version exists with other bytes',
      413: 'too large',
      422: 'bad archive',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/releases',
    summary: 'Start a release to an environment, or to the one whose track rules match a git ref',
    tag: 'releases',
    body: schemas.createRelease,
    responses: {
      201: 'ReleaseResponse',
      404: 'unknown environment or version',
      409: 'release in progress',
      422: 'no track rule matches / requirement not met',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/promote',
    summary:
      'Release the version serving in one environment (or a given one) to another, honouring requires.passed',
    tag: 'releases',
    body: schemas.promote,
    responses: { 201: 'ReleaseResponse', 409: 'release in progress', 422: 'requirement not met' },
  },
  {
    method: 'POST',
    path: '/api/v1/rollback',
    summary: 'Release the previous successful version again (or a given one)',
    tag: 'releases',
    body: schemas.rollback,
    responses: { 201: 'ReleaseResponse', 409: 'release in progress', 422: 'nothing to roll back to' },
  },
  {
    method: 'GET',
    path: '/api/v1/releases',
    summary: 'Release history, newest first',
    tag: 'releases',
    query: schemas.listReleases,
    responses: { 200: 'ReleaseListResponse' },
  },
  {
    method: 'GET',
    path: '/api/v1/releases/:id',
    summary: 'A release and its events',
    tag: 'releases',
    responses: { 200: 'ReleaseDetailResponse', 404: 'not found' },
  },
  {
    method: 'GET',
    path: '/api/v1/releases/:id/events',
    summary: "A release's events; with Accept: text/event-stream a live stream ending when the release does",
    tag: 'releases',
    query: schemas.events,
    sse: true,
    responses: { 200: 'ReleaseEventsResponse or text/event-stream', 404: 'not found' },
  },
  {
    method: 'POST',
    path: '/api/v1/releases/:id/:action',
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
    summary:
      'Environment events outside releases (instance crashes, restarts, readiness changes), newest first',
    tag: 'environments',
    query: schemas.events_list,
    responses: { 200: 'EnvironmentEventsResponse' },
  },
  {
    method: 'POST',
    path: '/api/v1/config/reload',
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
    summary: 'Running instances',
    tag: 'instances',
    query: schemas.status,
    responses: { 200: 'InstanceListResponse' },
  },
  {
    method: 'GET',
    path: '/api/v1/instances/:id/logs',
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
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      parameters: [...params, ...query],
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([code, d]) => [code, { description: d }]),
      ),
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
