// The HTTP API (/api/v1/openapi.json): thin handlers over the control plane, validated with the route
// table's zod schemas, errors mapped through the one catalogue in lib/errors.
import type { Readable } from 'node:stream';
import Fastify, { type FastifyReply } from 'fastify';
import { ZodError, type z } from 'zod';
import type { AlarmEngine } from '../alarms/index.ts';
import { type ArtifactStore, declaredLength, uploadVersion } from '../artifacts/index.ts';
import { registerAuditHooks } from '../audit/hook.ts';
import type { AuditLog } from '../audit/log.ts';
import { registerAuthHooks } from '../auth/hook.ts';
import { RefusalBudget } from '../auth/refusal-budget.ts';
import { createEnvironmentResolver } from '../auth/scope.ts';
import type { AuthService } from '../auth/service.ts';
import type { BackupService } from '../backup/service.ts';
import type { LoadedConfig } from '../config/types.ts';
import type { IncidentManager } from '../incidents/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { MAX_PATH_PARAM_LENGTH } from '../lib/names.ts';
import { storageFullError } from '../lib/storage-full.ts';
import type { LogService } from '../logs/index.ts';
import type { MetricsEngine } from '../metrics/engine.ts';
import type { ExtraMetric } from '../metrics/prometheus.ts';
import type { Notifier } from '../notify/index.ts';
import type { DataPlane } from '../proxy/types.ts';
import type { ControlPlane } from '../rollout/control.ts';
import type { ReleaseEngine } from '../rollout/engine.ts';
import type { ReleaseEventBus } from '../rollout/events.ts';
import type { Fleet } from '../rollout/fleet.ts';
import { createSloReader, type SloReader } from '../slo/status.ts';
import type { Store } from '../store/types.ts';
import type { SyntheticsRunner } from '../synthetics/index.ts';
import type { ReleaseTriggers, SecretLookup } from '../triggers/index.ts';
import { registerAckLinkRoutes } from './ack-link-routes.ts';
import { registerAlarmRoutes } from './alarm-routes.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { registerAuthRoutes } from './auth-routes.ts';
import { registerBackupRoutes } from './backup-routes.ts';
import { readChecksumHeader } from './checksum-header.ts';
import { schemas } from './core-routes.ts';
import { doraMetrics, registerDoraRoutes } from './dora-routes.ts';
import { registerHookRoutes } from './hook-routes.ts';
import { registerImageRoutes } from './image-routes.ts';
import { registerIncidentRoutes } from './incident-routes.ts';
import { registerLogRoutes } from './logs-routes.ts';
import { registerMetricsRoutes } from './metrics-routes.ts';
import { registerNotifyRoutes } from './notify-routes.ts';
import { registerOncallRoutes } from './oncall-routes.ts';
import { gantryMetrics } from './own-metrics.ts';
import { policyOfRelease, registerPolicyRoutes } from './policy-routes.ts';
import { dataDirWritable } from './readiness.ts';
import { apiDocument, routeAccess, undocumentedRoutes } from './route-table.ts';
import { registerSchemaRoutes } from './schema-routes.ts';
import { registerSecretRoutes, type SecretRouteDeps } from './secret-routes.ts';
import { dispatchRefusal, namedService } from './service-dispatch.ts';
import { registerSloRoutes, sloMetrics } from './slo-routes.ts';
import { streamReleaseEvents } from './sse.ts';
import type {
  ConfigReloadResponse,
  EnvironmentEventsResponse,
  EnvironmentListResponse,
  EnvironmentResponse,
  HealthBody,
  InstanceListResponse,
  InstanceLogsResponse,
  ReleaseActionResponse,
  ReleaseDetailResponse,
  ReleaseEventsResponse,
  ReleaseListResponse,
  ReleaseResponse,
  ServiceListResponse,
  StatusBody,
  UploadArtifactResponse,
  VersionListResponse,
} from './types.ts';
import { discardUnreadBody } from './upload-body.ts';
import { environmentViews, instanceView, versionView } from './views.ts';
import { registerWebRoutes } from './web-routes.ts';

export interface ApiDeps {
  config: () => LoadedConfig;
  store: Store;
  fleet: Fleet;
  bus: ReleaseEventBus;
  control: ControlPlane;
  engine: ReleaseEngine;
  metrics: MetricsEngine;
  /** The SLOs' state, shared with the error-budget gate; one over `metrics` when absent. */
  slos?: SloReader;
  alarms: AlarmEngine;
  synthetics: SyntheticsRunner;
  notifier: Notifier;
  incidents: IncidentManager;
  logs: LogService;
  artifacts: ArtifactStore;
  dataPlane: DataPlane;
  logger: Logger;
  server: { version: string; startedAt: string; dataDir: string };
  maxArtifactBytes: number;
  /** Most entries an uploaded artifact may hold; undefined: DEFAULT_MAX_ENTRIES. */
  maxArtifactEntries?: number;
  /** Push triggers (GitHub webhook) and the lookup of the secret triggers.github.secret names. */
  triggers: ReleaseTriggers;
  secret: SecretLookup;
  /** Re-reads the service files; `force` stops the instances of services whose file is gone. */
  reload: (opts: { force?: boolean }) => Promise<{ file: string; applied: string[] }>;
  /** Every service of the server (GET /api/v1/services); this one alone when absent. */
  services?: () => Array<{ name: string; environments: string[] }>;
  /** The secrets store and the rolling restart a changed secret starts (routes absent without it). */
  secrets?: SecretRouteDeps;
  /** API tokens and dashboard sessions: every route but the public ones needs one. */
  auth: AuthService;
  /** Where every mutation is recorded (the API's own by a hook; others call audit.record). */
  audit: AuditLog;
  /** Unauthenticated requests refused (401) per client address and minute before 429 (default 30). */
  refusalLimit?: number;
  /** The refusal budget itself, when several API instances share one (a server with several services). */
  refusals?: RefusalBudget;
  /** Key of the signed acknowledgement links of escalation pages (routes absent without it). */
  ackLinkKey?: Buffer;
  /** More of Gantry's own series for /metrics (certificates obtained through ACME). */
  ownMetrics?: () => ExtraMetric[];
  /** Backups of the store (routes absent without it). */
  backups?: BackupService;
  /** Scheduled backups' counters for GET /metrics. */
  backupMetrics?: () => ExtraMetric[];
}

const parse = <T extends z.ZodType>(schema: T, value: unknown): z.output<T> => schema.parse(value ?? {});

export function buildApi(deps: ApiDeps) {
  // Fastify's own request logging stays off: errors are logged by sendError with Gantry's logger.
  const app = Fastify({ logger: false, routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH } });
  const registered: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) registered.push({ method, url: r.url });
  });
  // Every route is in the OpenAPI document: a route added without its entry fails at start.
  app.addHook('onReady', async () => {
    const missing = undocumentedRoutes(registered);
    if (missing.length > 0)
      throw new Error(`routes missing from src/api/route-table.ts: ${missing.join(', ')}`);
  });
  const service = () => deps.config().config.service;
  // Who is asking and whether they may (before every handler), and what they changed (after it).
  const environmentsOf = createEnvironmentResolver({ config: deps.config, store: deps.store });
  registerAuthHooks(app, {
    auth: deps.auth,
    accessOf: routeAccess,
    environmentsOf,
    refusals: deps.refusals ?? new RefusalBudget(deps.refusalLimit),
  });
  registerAuditHooks(app, {
    audit: deps.audit,
    environmentsOf,
    logger: deps.logger,
    serviceOf: (req) => namedService(req.raw),
  });
  // A request the service dispatcher refused (no service named on a server with several), once authenticated.
  app.addHook('onRequest', async (req, reply) => {
    const refusal = dispatchRefusal(req.raw);
    if (refusal) return sendError(reply, refusal, deps.logger);
  });

  app.addContentTypeParser(
    ['application/gzip', 'application/x-gzip', 'application/octet-stream', 'application/x-tar'],
    (_req, payload, done) => done(null, payload),
  );

  app.setErrorHandler((err, _req, reply) => sendError(reply, err, deps.logger));
  // An upload refused half-way must still let its client read the answer.
  app.addHook('onError', async (req, reply, err) => discardUnreadBody(req.raw, reply, err));
  app.setNotFoundHandler((req, reply) =>
    sendError(
      reply,
      new GantryError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`, {
        hint: 'See /api/v1/openapi.json.',
      }),
      deps.logger,
    ),
  );

  app.get('/health', async (_req, reply) => {
    const body: HealthBody = { status: 'pass', version: deps.server.version, checks: {} };
    return reply.type('application/health+json').send(body);
  });

  app.get('/readiness', async (_req, reply) => {
    const time = new Date().toISOString();
    const store = await deps.store.ping().then(
      () => ({ status: 'pass' as const, time }),
      (err: Error) => ({ status: 'fail' as const, output: err.message, time }),
    );
    const writable = await dataDirWritable(deps.server.dataDir, time);
    const listeners = (await deps.dataPlane.addresses()).size;
    const plane = {
      status: listeners > 0 ? ('pass' as const) : ('fail' as const),
      output: `${listeners} listener(s)`,
      time,
    };
    const ok = store.status === 'pass' && writable.status === 'pass' && plane.status === 'pass';
    const body: HealthBody = {
      status: ok ? 'pass' : 'fail',
      version: deps.server.version,
      checks: {
        'store:reachable': [store],
        'datadir:writable': [writable],
        'dataplane:listeners': [plane],
      },
    };
    return reply
      .code(ok ? 200 : 503)
      .type('application/health+json')
      .send(body);
  });

  app.get('/api/v1/openapi.json', async () => apiDocument(deps.server.version));
  registerSchemaRoutes(app);

  const slos =
    deps.slos ??
    createSloReader({
      slos: () => deps.config().config.slos,
      source: deps.metrics,
      now: () => Date.now(),
    });
  const dora = {
    store: deps.store,
    service,
    environments: () => Object.keys(deps.config().config.environments),
  };
  registerDoraRoutes(app, dora);
  registerOncallRoutes(app, { schedules: () => deps.config().config.oncall.schedules });
  registerMetricsRoutes(app, {
    engine: deps.metrics,
    service: service(),
    environments: () => Object.keys(deps.config().config.environments),
    extra: async () => ({
      buildVersion: deps.server.version,
      metrics: [
        ...(await gantryMetrics(deps)),
        ...sloMetrics(await slos.list()),
        ...(await doraMetrics(dora)),
        ...(deps.ownMetrics?.() ?? []),
        ...(deps.backupMetrics?.() ?? []),
      ],
    }),
  });
  registerSloRoutes(app, {
    slos,
    configs: () => deps.config().config.slos,
    source: deps.metrics,
    environments: () => Object.keys(deps.config().config.environments),
  });
  registerAlarmRoutes(app, { alarms: deps.alarms, synthetics: deps.synthetics });
  registerNotifyRoutes(app, { notifier: deps.notifier });
  if (deps.ackLinkKey) {
    registerAckLinkRoutes(app, {
      key: deps.ackLinkKey,
      notifier: deps.notifier,
      incidents: deps.incidents,
      store: deps.store,
      service,
    });
  }
  registerIncidentRoutes(app, { incidents: deps.incidents, principal: (req) => req.actor?.name });
  registerLogRoutes(app, { logs: deps.logs });
  registerPolicyRoutes(app, { config: deps.config, store: deps.store, logger: deps.logger });
  registerImageRoutes(app, { control: deps.control, triggers: deps.triggers, logger: deps.logger });
  if (deps.secrets) registerSecretRoutes(app, deps.secrets);
  registerAuthRoutes(app, {
    auth: deps.auth,
    environments: () => Object.keys(deps.config().config.environments),
  });
  registerAuditRoutes(app, { audit: deps.audit });
  if (deps.backups) registerBackupRoutes(app, { backups: deps.backups, logger: deps.logger });
  registerHookRoutes(app, {
    config: deps.config,
    store: deps.store,
    triggers: deps.triggers,
    secret: deps.secret,
    logger: deps.logger,
  });
  // The dashboard (built into web/dist by `npm install`), talking only to the routes above.
  app.register(async (scope) => registerWebRoutes(scope));

  app.get('/api/v1/status', async (req) => {
    const q = parse(schemas.status, req.query);
    const body: StatusBody = {
      service: service(),
      server: deps.server,
      environments: await environmentViews(viewDeps(deps), q.environment),
    };
    return body;
  });

  app.get('/api/v1/services', async (): Promise<ServiceListResponse> => {
    const services = deps.services?.() ?? [
      { name: service(), environments: Object.keys(deps.config().config.environments) },
    ];
    return { services: await Promise.all(services.map((s) => withCurrentVersions(deps.store, s))) };
  });

  app.get(
    '/api/v1/environments',
    async (): Promise<EnvironmentListResponse> => ({
      environments: await environmentViews(viewDeps(deps)),
    }),
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/environments/:name',
    async (req): Promise<EnvironmentResponse> => {
      const [env] = await environmentViews(viewDeps(deps), req.params.name);
      if (!env) throw new GantryError('UNKNOWN_ENVIRONMENT', `no environment ${req.params.name}`);
      return { environment: env };
    },
  );

  app.get(
    '/api/v1/versions',
    async (): Promise<VersionListResponse> => ({
      versions: (await deps.store.versions.list(service(), 200)).map(versionView),
    }),
  );

  app.post<{ Params: { version: string } }>('/api/v1/versions/:version/artifact', async (req, reply) => {
    const { version } = parse(schemas.versionParam, req.params);
    const q = parse(schemas.upload, req.query);
    const body = req.body as Readable | undefined;
    if (!body || typeof (body as Readable).pipe !== 'function') {
      throw new GantryError(
        'BAD_ARTIFACT',
        'send the artifact as the request body with Content-Type application/gzip',
      );
    }
    const uploaded = await uploadVersion(
      {
        versions: deps.store.versions,
        artifacts: deps.artifacts,
        maxBytes: deps.maxArtifactBytes,
        ...(deps.maxArtifactEntries !== undefined ? { maxEntries: deps.maxArtifactEntries } : {}),
        logger: deps.logger,
        versionUploaded: (rec) => deps.triggers.versionUploaded(rec),
      },
      {
        service: service(),
        version,
        body,
        declaredBytes: declaredLength(req.headers['content-length']),
        expectedSha256: readChecksumHeader(req.headers),
        ref: q.ref ?? null,
        commit: q.commit ?? null,
      },
    );
    const { created, triggered } = uploaded;
    if (q.commit !== undefined && q.commit_time !== undefined) {
      await deps.store.versions.recordCommitTime(service(), q.commit, new Date(q.commit_time).toISOString());
    }
    const answer: UploadArtifactResponse = {
      version: versionView(uploaded.version),
      created,
      ...(triggered ? { triggered } : {}),
    };
    return reply.code(created ? 201 : 200).send(answer);
  });

  app.post('/api/v1/releases', async (req, reply) => {
    const b = parse(schemas.createRelease, req.body);
    const res = await deps.control.release(
      {
        version: b.version,
        ...(b.image !== undefined ? { image: b.image } : {}),
        ...(b.environment !== undefined ? { environment: b.environment } : {}),
        ...(b.ref !== undefined ? { ref: b.ref } : {}),
        ...(b.override ? { override: b.override } : {}),
        createdBy: req.actor?.name ?? null,
      },
      req.actor,
    );
    const answer: ReleaseResponse = res;
    return reply.code(201).send(answer);
  });

  app.post('/api/v1/promote', async (req, reply) => {
    const b = parse(schemas.promote, req.body);
    if (b.from === b.to) {
      throw new GantryError(
        'BAD_REQUEST',
        `cannot promote from ${b.from} to ${b.to}: from and to name the same environment, and nothing was started`,
        {
          hint: `Promote to another environment (\`gantry promote --from ${b.from} --to ENV\`), or release a version there again with \`gantry release ${b.to} VERSION\`.`,
        },
      );
    }
    const res = await deps.control.promote(
      {
        from: b.from,
        to: b.to,
        ...(b.version ? { version: b.version } : {}),
        ...(b.override ? { override: b.override } : {}),
        createdBy: req.actor?.name ?? null,
      },
      req.actor,
    );
    const answer: ReleaseResponse = res;
    return reply.code(201).send(answer);
  });

  app.post('/api/v1/rollback', async (req, reply) => {
    const b = parse(schemas.rollback, req.body);
    const res = await deps.control.rollback(
      {
        environment: b.environment,
        ...(b.to ? { to: b.to } : {}),
        ...(b.override ? { override: b.override } : {}),
        createdBy: req.actor?.name ?? null,
      },
      req.actor,
    );
    const answer: ReleaseResponse = res;
    return reply.code(201).send(answer);
  });

  app.get('/api/v1/releases', async (req): Promise<ReleaseListResponse> => {
    const q = parse(schemas.listReleases, req.query);
    return {
      releases: await deps.store.releases.list({
        service: service(),
        limit: q.limit,
        ...(q.environment ? { environment: q.environment } : {}),
      }),
    };
  });

  app.get<{ Params: { id: string } }>('/api/v1/releases/:id', async (req): Promise<ReleaseDetailResponse> => {
    const release = await findRelease(deps.store, req.params.id);
    const events = await deps.store.releases.events(release.id);
    return { release, events, policy: policyOfRelease(events) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/releases/:id/events', async (req, reply) => {
    const q = parse(schemas.events, req.query);
    const release = await findRelease(deps.store, req.params.id);
    if (String(req.headers.accept ?? '').includes('text/event-stream')) {
      return streamReleaseEvents(req, reply, deps, release, q.after);
    }
    const answer: ReleaseEventsResponse = { events: await deps.store.releases.events(release.id, q.after) };
    return answer;
  });

  app.post<{ Params: { id: string; action: string } }>(
    '/api/v1/releases/:id/:action',
    async (req): Promise<ReleaseActionResponse> => {
      const { action } = parse(schemas.releaseActionParams, req.params);
      const b = parse(schemas.releaseAction, req.body);
      const release = await deps.engine.control(
        req.params.id,
        action,
        b.reason ?? null,
        req.actor?.name ?? null,
      );
      return { release };
    },
  );

  app.post('/api/v1/config/reload', async (req): Promise<ConfigReloadResponse> => {
    const b = parse(schemas.reload, req.body);
    return { reloaded: await deps.reload({ force: b.force ?? false }) };
  });

  app.get('/api/v1/events', async (req): Promise<EnvironmentEventsResponse> => {
    const q = parse(schemas.events_list, req.query);
    return {
      events: await deps.store.events.list({
        service: service(),
        limit: q.limit,
        ...(q.environment ? { environment: q.environment } : {}),
        ...(q.instance ? { instance: q.instance } : {}),
      }),
    };
  });

  app.get('/api/v1/instances', async (req): Promise<InstanceListResponse> => {
    const q = parse(schemas.status, req.query);
    return { instances: deps.fleet.list(q.environment).map(instanceView) };
  });

  app.get<{ Params: { id: string } }>(
    '/api/v1/instances/:id/logs',
    async (req): Promise<InstanceLogsResponse> => {
      const q = parse(schemas.logs, req.query);
      if (!deps.fleet.get(req.params.id))
        throw new GantryError('NOT_FOUND', `no running instance ${req.params.id}`);
      return {
        instance: req.params.id,
        lines: deps.fleet
          .recentLogs(req.params.id, q.limit)
          .map((l) => ({ ...l, at: new Date(l.at).toISOString() })),
      };
    },
  );

  return app;
}

/** A service with the version each environment serves now (null before its first release). */
async function withCurrentVersions(store: Store, s: { name: string; environments: string[] }) {
  const current: Record<string, string | null> = {};
  for (const env of s.environments)
    current[env] = (await store.environments.get(s.name, env))?.currentVersion ?? null;
  return { ...s, current };
}

function viewDeps(deps: ApiDeps) {
  return { config: deps.config(), store: deps.store, fleet: deps.fleet, dataPlane: deps.dataPlane };
}

async function findRelease(store: Store, id: string) {
  const release = await store.releases.get(id);
  if (!release)
    throw new GantryError('NOT_FOUND', `no release ${id}`, {
      hint: 'List releases with `gantry history --env ENV`.',
    });
  return release;
}

function sendError(reply: FastifyReply, err: unknown, logger: Logger): FastifyReply {
  const full = storageFullError(err);
  if (full) {
    logger.error({ err }, 'a write failed: the disk is full');
    return reply.code(full.status).send(full.toJSON());
  }
  if (err instanceof GantryError) return reply.code(err.status).send(err.toJSON());
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    return reply.code(400).send(
      new GantryError('BAD_REQUEST', `invalid request: ${issues.join('; ')}`, {
        details: { issues },
      }).toJSON(),
    );
  }
  const e = err as { statusCode?: number; message?: string; code?: string };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return reply
      .code(e.statusCode)
      .send({ error: { code: e.code ?? 'BAD_REQUEST', message: e.message ?? 'bad request' } });
  }
  logger.error({ err }, 'unhandled API error');
  return reply.code(500).send(new GantryError('INTERNAL', 'internal error').toJSON());
}
