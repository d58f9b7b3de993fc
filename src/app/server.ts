// The composition root: builds every part of a Gantry server, wires them, recovers what a
// previous run left behind, and takes everything down again in the right order.
import net from 'node:net';
import path from 'node:path';
import { checkRules, createAlarmEngine, SeriesStore } from '../alarms/index.ts';
import { buildApi } from '../api/server.ts';
import { createArtifactStore } from '../artifacts/index.ts';
import { AuditLog } from '../audit/log.ts';
import { type BootstrapToken, bootstrapAdminToken } from '../auth/bootstrap.ts';
import { AuthService } from '../auth/service.ts';
import { SYSTEM_ACTOR } from '../auth/types.ts';
import { BackupScheduler, BackupService, backupDir, openSnapshot } from '../backup/index.ts';
import { loadConfigFile } from '../config/index.ts';
import type { LoadedConfig } from '../config/types.ts';
import { createIncidentManager } from '../incidents/index.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { captureRuntimeLogs, createLogService } from '../logs/index.ts';
import { createMetricsEngine, type MetricsEngine } from '../metrics/engine.ts';
import { createInstanceSampler } from '../metrics/instance-sampler.ts';
import { createNotifier } from '../notify/index.ts';
import { loadAckLinkKey } from '../oncall/ack-link.ts';
import { checkEdgeFiles, createDataPlane, withEdgeConfig } from '../proxy/index.ts';
import type { DataPlane } from '../proxy/types.ts';
import { ControlPlane } from '../rollout/control.ts';
import { ReleaseEngine } from '../rollout/engine.ts';
import { ReleaseEventBus } from '../rollout/events.ts';
import { Fleet } from '../rollout/fleet.ts';
import { imageResolverOf } from '../rollout/image-versions.ts';
import { recoverFleet } from '../rollout/recover.ts';
import { createDriver } from '../runtime/index.ts';
import { cachedRedactor, SecretRestarts, SecretService } from '../secrets/index.ts';
import { createSloReader, sloBudgets } from '../slo/status.ts';
import { openStore } from '../store/index.ts';
import { describeStore, storeOptionsFor } from '../store/location.ts';
import type { Store } from '../store/types.ts';
import { createSyntheticsRunner } from '../synthetics/index.ts';
import { ReleaseTriggers } from '../triggers/index.ts';
import { ackAlertsOfIncident, wireAlerting } from './alerting.ts';
import { bootstrapInitialVersion } from './bootstrap.ts';
import { preparePrivateDataDir } from './data-dir.ts';
import { ConfigHolder, type ReloadResult } from './reload.ts';
import { secretValuesCache } from './secret-values.ts';
import { GANTRY_VERSION } from './version.ts';

export interface ServerOptions {
  config: string;
  dataDir: string;
  /** A postgresql:// URL; undefined: SQLite, gantry.db in the data directory. */
  store?: string;
  /** host:port of the API; port 0 picks a free one. */
  listen: string;
  initialVersion?: string;
  initialArtifact?: string;
  logLevel?: string;
  logger?: Logger;
  maxArtifactBytes?: number;
  /** Unauthenticated requests refused per client address and minute before 429 (auth/refusal-budget.ts). */
  refusalLimit?: number;
}

export interface GantryServer {
  /** Base URL of the API, e.g. http://127.0.0.1:7070 */
  url: string;
  dataDir: string;
  config: LoadedConfig;
  store: Store;
  dataPlane: DataPlane;
  engine: ReleaseEngine;
  fleet: Fleet;
  metrics: MetricsEngine;
  auth: AuthService;
  audit: AuditLog;
  /** The first admin token, when this start created it: print it once (never log it). */
  adminToken?: BootstrapToken;
  /** Re-reads the config file; applies alarms, notifications and the like, or says what needs a restart. */
  reload(): Promise<ReloadResult>;
  /** Graceful stop. Instances keep running (and are adopted at the next start) unless stopInstances. */
  close(opts?: { stopInstances?: boolean }): Promise<void>;
}

const DEFAULT_MAX_ARTIFACT_BYTES = 512 * 1024 * 1024;
/** Environment events (crashes, restarts) older than this are dropped at start. */
const EVENT_RETENTION_MS = 30 * 24 * 3600 * 1000;

export async function startServer(opts: ServerOptions): Promise<GantryServer> {
  const logger = opts.logger ?? createLogger(opts.logLevel ? { level: opts.logLevel } : {});
  const loaded = await loadConfigFile(opts.config);
  const holder = new ConfigHolder(loaded);
  const config = holder.get;
  const dataDir = path.resolve(opts.dataDir);
  const tightened = await preparePrivateDataDir(dataDir);
  if (tightened.length > 0) {
    logger.warn(
      { dataDir, paths: tightened.length, first: tightened.slice(0, 5) },
      'the data dir was readable by other users: removed their access (it holds secrets)',
    );
  }

  const storeOptions = storeOptionsFor(opts.store, dataDir);
  const store = await openStore(storeOptions);
  await store.services.upsert(loaded.config.service);
  for (const name of Object.keys(loaded.config.environments))
    await store.environments.ensure(loaded.config.service, name);
  await store.events.prune(new Date(Date.now() - EVENT_RETENTION_MS).toISOString());
  // The master key and every secret, before anything starts instances or shows their output.
  const secrets = await SecretService.open({
    store,
    service: loaded.config.service,
    dataDir,
    database: describeStore(storeOptions),
    logger: logger.child({ component: 'secrets' }),
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const secretValues = secretValuesCache(config, secrets);

  // Tokens and the audit log; the first admin token when there is no usable one (README: CLI).
  const auth = new AuthService({ tokens: store.tokens });
  const audit = new AuditLog({ repo: store.audit });
  const adminToken = await bootstrapAdminToken(auth, dataDir);
  if (adminToken) {
    logger.info(
      { token: adminToken.id, file: adminToken.file },
      'created an admin token (shown once at start)',
    );
    await audit.record({
      actor: SYSTEM_ACTOR,
      action: 'token.bootstrap',
      target: adminToken.id,
      details: { role: 'admin', file: adminToken.file },
    });
  }

  const artifacts = createArtifactStore(dataDir);
  await artifacts.sweepIncoming(); // uploads cut off by a previous crash
  const runtime = loaded.config.runtime;
  const driver = createDriver(
    runtime.type === 'docker' ? { kind: 'docker', docker: { ...runtime.docker } } : { kind: 'process' },
    { dataDir, logger: logger.child({ component: 'runtime' }), lookupSecret: (name) => secrets.lookup(name) },
  );
  // Every instance's output, from the first line on (adopted instances included).
  const logs = createLogService({
    config,
    store,
    logger: logger.child({ component: 'logs' }),
    redact: secretValues,
  });
  const stopCapture = captureRuntimeLogs(driver, logs, (err) =>
    logger.error({ err }, "could not mark a crash's output as errors"),
  );
  await logs.start();
  const metrics = createMetricsEngine({
    store,
    service: loaded.config.service,
    logger: logger.child({ component: 'metrics' }),
  });
  metrics.start();
  // Each environment's TLS, limits and headers come from the config current at every apply.
  const dataPlane = withEdgeConfig(
    createDataPlane({ sink: metrics, logger: logger.child({ component: 'proxy' }) }),
    config,
  );
  const bus = new ReleaseEventBus();
  const fleet = new Fleet({
    config,
    driver,
    dataPlane,
    store,
    dataDir,
    logger: logger.child({ component: 'fleet' }),
    secrets: { valuesFor: (env) => secrets.valuesFor(env), redact: cachedRedactor(secretValues) },
  });
  const engine = new ReleaseEngine({
    config,
    store,
    fleet,
    bus,
    metrics,
    logger: logger.child({ component: 'releases' }),
  });
  const slos = createSloReader({ slos: () => config().config.slos, source: metrics, now: () => Date.now() });
  const control = new ControlPlane({
    config,
    store,
    engine,
    resolveImage: imageResolverOf(driver),
    budgets: sloBudgets(slos),
  });
  // A secret set for an environment that lists it restarts that environment's instances.
  const secretRestarts = new SecretRestarts({
    config,
    store,
    releases: engine,
    bus,
    logger: logger.child({ component: 'secrets' }),
  });
  // GitHub pushes waiting for their version's upload, or for their environment to be free.
  const triggers = new ReleaseTriggers({
    config,
    store,
    control,
    audit,
    logger: logger.child({ component: 'triggers' }),
  });
  const sampler = createInstanceSampler({
    onSample: (s) => metrics.setInstanceSample(s),
    logger,
    measure: (id) => fleet.stats(id),
    list: () =>
      fleet.list().map((m) => ({
        instanceId: m.id,
        environment: m.environment,
        version: m.version,
        restarts: m.info.restarts,
      })),
  });
  sampler.start();

  // Listeners first (answering 503 until instances are ready), then instances come back.
  await dataPlane.apply(fleet.desiredState());
  await recoverFleet({ config: loaded, store, fleet, engine, logger });

  // Alarms → notifications and incidents. Links in notifications point at the API's address.
  const listen = await resolveListen(opts.listen);
  const externalUrl = process.env.GANTRY_EXTERNAL_URL ?? `http://${formatHost(listen.host)}:${listen.port}`;
  const backups = new BackupService({
    dataDir,
    dir: () => backupDir(config(), dataDir),
    openSnapshot: () => openSnapshot(storeOptions),
    gantryVersion: GANTRY_VERSION,
  });
  const backupScheduler = new BackupScheduler({
    backups,
    config: () => config().config.backups,
    logger: logger.child({ component: 'backups' }),
  });
  const series = new SeriesStore();
  const alarms = createAlarmEngine({
    config,
    metrics,
    store,
    series,
    extraMetrics: {
      datapoint: (q) => backupScheduler.datapoint(q) ?? logs.metrics.datapoint(q),
    },
    logger: logger.child({ component: 'alarms' }),
  });
  const synthetics = createSyntheticsRunner({
    config,
    series,
    logger: logger.child({ component: 'synthetics' }),
    redact: secretValues,
    deployed: (env) => fleet.serving(env).length > 0,
    target: (env) => {
      const a = dataPlane.addresses().get(env);
      return (
        a &&
        `${config().config.environments[env]?.tls ? 'https' : 'http'}://${formatHost(a.host === '0.0.0.0' || a.host === '::' ? '127.0.0.1' : a.host)}:${a.port}`
      );
    },
  });
  const ackLinkKey = await loadAckLinkKey(dataDir);
  const notifier = createNotifier({
    config,
    store,
    externalUrl,
    ackLinkKey,
    logger: logger.child({ component: 'notify' }),
    secret: (name) => secrets.lookup(name),
  });
  const incidents = createIncidentManager({
    config,
    store,
    externalUrl,
    logger: logger.child({ component: 'incidents' }),
    onChange: (e) => ackAlertsOfIncident(notifier, logger, e),
  });
  const unwire = wireAlerting({ alarms, notifier, incidents, releases: engine, store, logger });
  holder.check((next) => checkRules(next.config));
  holder.check(checkEdgeFiles);
  holder.onReload(() => {
    alarms.reload();
    synthetics.reload();
  });
  // Edge settings (TLS files, limits, headers) reach the listeners with this apply.
  holder.onReload(() => dataPlane.apply(fleet.desiredState()));
  await notifier.start();
  await alarms.start();
  synthetics.start();
  await backupScheduler.start();

  const startedAt = new Date().toISOString();
  const api = buildApi({
    config,
    store,
    fleet,
    bus,
    control,
    engine,
    metrics,
    slos,
    alarms,
    synthetics,
    notifier,
    incidents,
    logs,
    artifacts,
    dataPlane,
    logger,
    server: { version: GANTRY_VERSION, startedAt, dataDir },
    ackLinkKey,
    reload: () => holder.reload(),
    maxArtifactBytes: opts.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES,
    triggers,
    // `${secret:NAME}` in triggers.github.secret: the global secret NAME, else the server's variable.
    secret: (name) => secrets.lookup(name),
    secrets: {
      secrets,
      config,
      restart: (change) => secretRestarts.afterSet(change),
    },
    auth,
    audit,
    ...(opts.refusalLimit !== undefined ? { refusalLimit: opts.refusalLimit } : {}),
    backups,
    backupMetrics: () => backupScheduler.metrics(),
  });
  triggers.start(bus);
  await api.listen({ host: listen.host, port: listen.port });
  const url = `http://${formatHost(listen.host)}:${listen.port}`;
  logger.info({ url, dataDir, service: loaded.config.service }, 'gantry server ready');

  let closing: Promise<void> | undefined;
  const server: GantryServer = {
    url,
    dataDir,
    config: loaded,
    store,
    dataPlane,
    engine,
    fleet,
    metrics,
    auth,
    audit,
    ...(adminToken ? { adminToken } : {}),
    // A reload not asked through the API (SIGHUP) is recorded here; the API records its own.
    reload: () =>
      audit.track(
        { actor: SYSTEM_ACTOR, action: 'config.reload' },
        () => holder.reload(),
        (r) => ({ ...r }),
      ),
    close: (o = {}) => {
      closing ??= (async () => {
        await api.close();
        secretRestarts.close();
        await triggers.stop();
        unwire();
        await synthetics.stop();
        await backupScheduler.stop();
        await alarms.stop();
        await engine.close();
        await fleet.close({ stopInstances: o.stopInstances ?? false });
        await driver.close({ stopInstances: false, graceMs: loaded.config.run.stop_timeout });
        await dataPlane.close();
        sampler.stop();
        await notifier.stop();
        await incidents.idle();
        stopCapture();
        await logs.stop();
        await metrics.stop();
        await store.close();
      })();
      return closing;
    },
  };

  if (opts.initialVersion && opts.initialArtifact) {
    await bootstrapInitialVersion({
      config: loaded,
      store,
      artifacts,
      control,
      engine,
      logger,
      version: opts.initialVersion,
      artifactDir: opts.initialArtifact,
    });
  }
  return server;
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen);
  if (!m) throw new Error(`listen address ${listen} is not host:port`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

/** host and port to listen on; port 0 becomes a free port now, so links can name it before listening. */
async function resolveListen(listen: string): Promise<{ host: string; port: number }> {
  const { host, port } = splitHostPort(listen);
  if (port !== 0) return { host, port };
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, host, resolve));
  const free = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return { host, port: free };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
