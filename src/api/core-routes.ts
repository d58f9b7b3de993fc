// The routes the API server answers itself (api/server.ts): health, status, environments, versions,
// releases, events and instances. Their request schemas (the handlers parse with them), the schemas
// of their answers (the handlers' bodies are typed from them) and their entries in the OpenAPI
// document.
import { z } from 'zod';
import { VERSION_NAME_PATTERN, VERSION_NAME_RULE } from '../lib/names.ts';
import { policyOverrideSchema } from './policy-routes.ts';
import {
  environmentEventSchema,
  environmentViewSchema,
  instanceViewSchema,
  policyDecisionSchema,
  releaseEventSchema,
  releaseRecordSchema,
  releaseTriggerSchema,
  versionViewSchema,
} from './record-schemas.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';

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
  reload: z
    .object({
      force: z.boolean().optional().meta({
        description:
          'Stop the running instances of services whose file is gone (refused with 409 otherwise).',
      }),
    })
    .strict(),
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

const check = z.object({
  status: z.enum(['pass', 'warn', 'fail']),
  output: z.string().optional(),
  time: isoTime,
});

const releaseResponse = z.object({
  release: releaseRecordSchema,
  chosenBy: z.string().optional().meta({
    description: 'How the environment was chosen, e.g. "ref refs/tags/v2 matches production track.tag v*".',
  }),
  policy: policyDecisionSchema.nullable().optional().meta({
    description:
      "The release policy's decision, when the environment has rules (or the request an override).",
  }),
});

export const coreResponses = {
  health: z.object({
    status: z.enum(['pass', 'warn', 'fail']),
    version: z.string(),
    releaseId: z.string().optional(),
    checks: z.record(z.string(), z.array(check)),
  }),
  status: z.object({
    service: z.string(),
    server: z.object({ version: z.string(), startedAt: isoTime, dataDir: z.string() }),
    environments: z.array(environmentViewSchema),
  }),
  services: z.object({
    services: z.array(
      z.object({
        name: z.string(),
        environments: z.array(z.string()),
        current: z.record(z.string(), z.string().nullable()).meta({
          description: 'The version each environment serves now (null before its first release).',
        }),
      }),
    ),
  }),
  environments: z.object({ environments: z.array(environmentViewSchema) }),
  environment: z.object({ environment: environmentViewSchema }),
  versions: z.object({ versions: z.array(versionViewSchema) }),
  upload: z.object({
    version: versionViewSchema,
    created: z.boolean(),
    triggered: z.array(releaseTriggerSchema).optional().meta({
      description: 'Triggers (GitHub pushes waiting for this version) the upload started or refused.',
    }),
  }),
  release: releaseResponse,
  releases: z.object({ releases: z.array(releaseRecordSchema) }),
  releaseDetail: z.object({
    release: releaseRecordSchema,
    events: z.array(releaseEventSchema),
    policy: policyDecisionSchema.nullable().optional(),
  }),
  releaseEvents: z.object({ events: z.array(releaseEventSchema) }),
  releaseAction: z.object({ release: releaseRecordSchema }),
  environmentEvents: z.object({ events: z.array(environmentEventSchema) }),
  reload: z.object({
    reloaded: z.object({
      file: z.string(),
      /** Sections applied (`service:section` on a server with several services). */
      applied: z.array(z.string()),
      added: z.array(z.string()).optional(),
      removed: z.array(z.string()).optional(),
      services: z
        .array(z.object({ service: z.string(), file: z.string(), applied: z.array(z.string()) }))
        .optional(),
    }),
  }),
  instances: z.object({ instances: z.array(instanceViewSchema) }),
  instanceLogs: z.object({
    instance: z.string(),
    lines: z.array(z.object({ at: isoTime, stream: z.enum(['stdout', 'stderr']), line: z.string() })),
  }),
  /** The document itself: any JSON object (it describes itself no further). */
  openapi: z.record(z.string(), z.unknown()),
};

export const coreRouteDocs: RouteDoc[] = [
  {
    method: 'GET',
    path: '/health',
    operationId: 'getHealth',
    access: 'public',
    summary: "Gantry's own liveness (application/health+json)",
    tag: 'health',
    responses: { 200: { ...json('pass', coreResponses.health), contentType: 'application/health+json' } },
  },
  {
    method: 'GET',
    path: '/readiness',
    operationId: 'getReadiness',
    access: 'public',
    summary: 'Store reachable and data plane running (application/health+json)',
    tag: 'health',
    responses: {
      200: { ...json('pass', coreResponses.health), contentType: 'application/health+json' },
      503: { ...json('fail', coreResponses.health), contentType: 'application/health+json' },
    },
  },
  {
    method: 'GET',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    access: 'viewer',
    summary: 'This document',
    tag: 'meta',
    responses: { 200: json('OpenAPI 3.1', coreResponses.openapi) },
  },
  {
    method: 'GET',
    path: '/api/v1/status',
    operationId: 'getStatus',
    access: 'viewer',
    summary: 'Every environment: version, instances, readiness, release in progress',
    tag: 'environments',
    query: schemas.status,
    responses: { 200: json('StatusBody', coreResponses.status) },
  },
  {
    method: 'GET',
    path: '/api/v1/services',
    operationId: 'listServices',
    access: 'viewer',
    summary:
      "The server's services, each with its environments and the version each serves (`current`); every service's routes also answer under /api/v1/services/{service}/…",
    tag: 'environments',
    responses: { 200: json('list', coreResponses.services) },
  },
  {
    method: 'GET',
    path: '/api/v1/environments',
    operationId: 'listEnvironments',
    access: 'viewer',
    summary: 'Environments',
    tag: 'environments',
    responses: { 200: json('EnvironmentView[]', coreResponses.environments) },
  },
  {
    method: 'GET',
    path: '/api/v1/environments/:name',
    operationId: 'getEnvironment',
    access: 'viewer',
    summary: 'One environment',
    tag: 'environments',
    responses: { 200: json('EnvironmentView', coreResponses.environment) },
    errors: { 404: 'unknown environment' },
  },
  {
    method: 'GET',
    path: '/api/v1/versions',
    operationId: 'listVersions',
    access: 'viewer',
    summary: 'Uploaded versions, newest first',
    tag: 'versions',
    responses: { 200: json('VersionView[]', coreResponses.versions) },
  },
  {
    method: 'POST',
    path: '/api/v1/versions/:version/artifact',
    operationId: 'uploadArtifact',
    access: 'deployer',
    summary:
      'Upload the artifact of a version as .tar.gz (or .tar), with the SHA-256 of the body in X-Checksum-Sha256; versions are immutable; a push trigger waiting for the version starts its release',
    tag: 'versions',
    query: schemas.upload,
    bodyContentType: 'application/gzip',
    responses: {
      201: json('created', coreResponses.upload),
      200: json('the same bytes were already uploaded', coreResponses.upload),
    },
    errors: {
      400: 'X-Checksum-Sha256 is not 64 hex digits',
      409: 'the version exists with other bytes',
      413: 'larger than the server limit (gantry server --max-artifact-size); nothing stored',
      422: 'bad archive, or the bytes do not match X-Checksum-Sha256; nothing stored',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/releases',
    operationId: 'createRelease',
    access: 'deployer',
    summary: 'Start a release to an environment, or to the one whose track rules match a git ref',
    tag: 'releases',
    body: schemas.createRelease,
    responses: { 201: json('ReleaseResponse', coreResponses.release) },
    errors: {
      404: 'unknown environment or version',
      409: 'release in progress',
      403: 'override asked for without the admin role',
      422: 'no track rule matches / refused by policy (POLICY_REFUSED names the rule) / override without a reason',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/promote',
    operationId: 'promote',
    access: 'deployer',
    summary:
      'Release the version serving in one environment (or a given one) to another, honouring requires.passed',
    tag: 'releases',
    body: schemas.promote,
    responses: { 201: json('ReleaseResponse', coreResponses.release) },
    errors: {
      400: 'from and to name the same environment',
      403: 'override without the admin role',
      409: 'release in progress',
      422: 'requirement not met / refused by policy',
    },
  },
  {
    method: 'POST',
    path: '/api/v1/rollback',
    operationId: 'rollback',
    access: 'deployer',
    summary: 'Release the previous successful version again (or a given one)',
    tag: 'releases',
    body: schemas.rollback,
    responses: { 201: json('ReleaseResponse', coreResponses.release) },
    errors: {
      403: 'override without the admin role',
      409: 'release in progress',
      422: 'nothing to roll back to / refused by the scan gate',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/releases',
    operationId: 'listReleases',
    access: 'viewer',
    summary: 'Release history, newest first',
    tag: 'releases',
    query: schemas.listReleases,
    responses: { 200: json('ReleaseListResponse', coreResponses.releases) },
  },
  {
    method: 'GET',
    path: '/api/v1/releases/:id',
    operationId: 'getRelease',
    access: 'viewer',
    summary: 'A release and its events',
    tag: 'releases',
    responses: { 200: json('ReleaseDetailResponse', coreResponses.releaseDetail) },
    errors: { 404: 'not found' },
  },
  {
    method: 'GET',
    path: '/api/v1/releases/:id/events',
    operationId: 'listReleaseEvents',
    access: 'viewer',
    summary: "A release's events; with Accept: text/event-stream a live stream ending when the release does",
    tag: 'releases',
    query: schemas.events,
    sse: true,
    responses: { 200: json('ReleaseEventsResponse or text/event-stream', coreResponses.releaseEvents) },
    errors: { 404: 'not found' },
  },
  {
    method: 'POST',
    path: '/api/v1/releases/:id/:action',
    operationId: 'actOnRelease',
    access: 'deployer',
    summary:
      'Act on a release in flight: abort (roll back now), pause (hold the canary at its weight), resume, promote (skip the remaining steps)',
    tag: 'releases',
    body: schemas.releaseAction,
    responses: { 200: json('ReleaseActionResponse', coreResponses.releaseAction) },
    errors: { 404: 'not found', 409: 'the action does not apply to the release now' },
  },
  {
    method: 'GET',
    path: '/api/v1/events',
    operationId: 'listEnvironmentEvents',
    access: 'viewer',
    summary:
      'Environment events outside releases (instance crashes, restarts, readiness changes), newest first',
    tag: 'environments',
    query: schemas.events_list,
    responses: { 200: json('EnvironmentEventsResponse', coreResponses.environmentEvents) },
  },
  {
    method: 'POST',
    path: '/api/v1/config/reload',
    operationId: 'reloadConfig',
    access: 'admin',
    summary:
      'Re-read the service files: validated whole first; alarms, synthetics, notify, smtp, incidents, checks apply live; other changes are refused (409) until a restart; a new file starts its service, a removed one stops it (409 while it has instances, unless force)',
    tag: 'meta',
    body: schemas.reload,
    responses: {
      200: json('{ reloaded: { file, applied, added?, removed?, services? } }', coreResponses.reload),
    },
    errors: {
      409: 'a change needs a restart, or a removed service still has instances',
      422: 'the file is not valid',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/instances',
    operationId: 'listInstances',
    access: 'viewer',
    summary: 'Running instances',
    tag: 'instances',
    query: schemas.status,
    responses: { 200: json('InstanceListResponse', coreResponses.instances) },
  },
  {
    method: 'GET',
    path: '/api/v1/instances/:id/logs',
    operationId: 'getInstanceLogs',
    access: 'viewer',
    summary: "An instance's recent output",
    tag: 'instances',
    query: schemas.logs,
    responses: { 200: json('InstanceLogsResponse', coreResponses.instanceLogs) },
    errors: { 404: 'not found' },
  },
];
