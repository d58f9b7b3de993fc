// The composition root: builds what every service of a Gantry server shares (store, master key,
// tokens, audit log, artifacts, the one data plane, the API listener), starts one runtime per
// service file (service-runtime.ts), recovers what a previous run left behind, and takes
// everything down again in the right order.
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/server.ts';
import { createServiceDispatcher } from '../api/service-dispatch.ts';
import { createArtifactStore } from '../artifacts/index.ts';
import { AuditLog } from '../audit/log.ts';
import { type BootstrapToken, bootstrapAdminToken } from '../auth/bootstrap.ts';
import { RefusalBudget } from '../auth/refusal-budget.ts';
import { AuthService } from '../auth/service.ts';
import { SYSTEM_ACTOR } from '../auth/types.ts';
import { BackupScheduler, BackupService, backupDir, openSnapshot } from '../backup/index.ts';
import { loadConfigFile } from '../config/index.ts';
import type { LoadedConfig } from '../config/types.ts';
import { openDataPlaneProcesses } from '../dataplane/index.ts';
import { IdleCompaction } from '../lib/idle-compaction.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import type { MetricsEngine } from '../metrics/engine.ts';
import { loadAckLinkKey, verifyAckLink } from '../oncall/ack-link.ts';
import { createDataPlane } from '../proxy/index.ts';
import { createServiceScopes } from '../proxy/service-scope.ts';
import type { DataPlane, DesiredState, MetricsSink, RequestRecord } from '../proxy/types.ts';
import type { ReleaseEngine } from '../rollout/engine.ts';
import type { Fleet } from '../rollout/fleet.ts';
import { openStore } from '../store/index.ts';
import { describeStore, storeOptionsFor } from '../store/location.ts';
import { openPostgresChangeFeed } from '../store/postgres/change-feed.ts';
import type { Store } from '../store/types.ts';
import { bootstrapInitialVersion } from './bootstrap.ts';
import { preparePrivateDataDir } from './data-dir.ts';
import { becomeLeader } from './leader.ts';
import { loadServiceFiles } from './service-files.ts';
import { formatHost, type ServiceRuntime, type SharedParts, startServiceRuntime } from './service-runtime.ts';
import { type ServerReloadResult, ServiceSet } from './service-set.ts';
import { GANTRY_VERSION } from './version.ts';

export interface ServerOptions {
  /** Service files, or directories whose .yaml/.yml files are each a service. */
  config: string | readonly string[];
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
  /** Most entries an uploaded artifact may hold (files, directories, links); default 100,000. */
  maxArtifactEntries?: number;
  /** Unauthenticated requests refused per client address and minute before 429 (auth/refusal-budget.ts). */
  refusalLimit?: number;
  /**
   * Where the proxy listeners run: in this process (the default, which tests use), or in data plane
   * processes that outlive the server (`gantry server`; `replace` starts new ones that take over).
   */
  dataPlane?: { kind: 'in-process' } | { kind: 'process'; workers: number; replace?: boolean };
}

export interface GantryServer {
  /** Base URL of the API, e.g. http://127.0.0.1:7070 */
  url: string;
  dataDir: string;
  /** The first service's config, as loaded at start. */
  config: LoadedConfig;
  store: Store;
  /** The first service's part of the data plane, fleet, releases and metrics. */
  dataPlane: DataPlane;
  engine: ReleaseEngine;
  fleet: Fleet;
  metrics: MetricsEngine;
  auth: AuthService;
  audit: AuditLog;
  /** Every service's runtime, by name, in the order of the files. */
  services(): ReadonlyMap<string, ServiceRuntime>;
  /** The first admin token, when this start created it: print it once (never log it). */
  adminToken?: BootstrapToken;
  /** Re-reads the service files: applies changes, starts added services, stops removed ones. */
  reload(opts?: { force?: boolean }): Promise<ServerReloadResult>;
  /**
   * Graceful stop. Instances keep running (and are adopted at the next start) unless stopInstances;
   * a data plane process keeps serving (for the next server to adopt) with keepDataPlane.
   */
  close(opts?: { stopInstances?: boolean; keepDataPlane?: boolean }): Promise<void>;
  /**
   * Settles if this server loses the leader lock (PostgreSQL): it has then begun to close, leaving
   * its instances to the server that takes over. Never settles on SQLite.
   */
  leaderLost: Promise<Error>;
}

const DEFAULT_MAX_ARTIFACT_BYTES = 512 * 1024 * 1024;
/** Request records kept for services not started yet (the data plane buffers as many). */
const EARLY_RECORDS_LIMIT = 100_000;

export async function startServer(opts: ServerOptions): Promise<GantryServer> {
  const logger = opts.logger ?? createLogger(opts.logLevel ? { level: opts.logLevel } : {});
  const configArgs = typeof opts.config === 'string' ? [opts.config] : [...opts.config];
  const loaded = await loadServiceFiles(configArgs, loadConfigFile);
  const dataDir = path.resolve(opts.dataDir);
  const tightened = await preparePrivateDataDir(dataDir);
  if (tightened.length > 0) {
    logger.warn(
      { dataDir, paths: tightened.length, first: tightened.slice(0, 5) },
      'the data dir was readable by other users: removed their access (it holds secrets)',
    );
  }

  const listen = await resolveListen(opts.listen);
  const storeOptions = storeOptionsFor(opts.store, dataDir);
  const store = await openStore(storeOptions);
  const database = describeStore(storeOptions);
  // Nothing is written before this server is the leader on its database (leader.ts).
  const leadership = await becomeLeader({
    store: storeOptions,
    listen,
    version: GANTRY_VERSION,
    logger,
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  // On PostgreSQL, secrets are kept up to date with the changes other servers make (LISTEN/NOTIFY).
  const changes =
    storeOptions.kind === 'postgresql'
      ? await openPostgresChangeFeed({
          url: storeOptions.url,
          logger: logger.child({ component: 'secrets' }),
        })
      : undefined;
  const closeStore = async () => {
    await changes?.close();
    await store.close();
    await leadership.release();
  };

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
  // Backups are of the whole store: one schedule for the server, from the first service file with
  // a `backups` section (set.runtimes() is filled before anything asks).
  let set: ServiceSet;
  const backupConfig = (): LoadedConfig => {
    const configs = [...set.runtimes().values()].map((r) => r.holder.get());
    return configs.find((c) => c.config.backups) ?? configs[0] ?? (loaded[0] as LoadedConfig);
  };
  const backups = new BackupService({
    dataDir,
    dir: () => backupDir(backupConfig(), dataDir),
    openSnapshot: () => openSnapshot(storeOptions),
    gantryVersion: GANTRY_VERSION,
  });
  const backupScheduler = new BackupScheduler({
    backups,
    config: () => backupConfig().config.backups,
    logger: logger.child({ component: 'backups' }),
  });
  // One data plane for every service; each request's record goes to its service's metrics.
  const metricsOf = new Map<string, MetricsEngine>();
  // Records an adopted data plane buffered while no server ran arrive before the services start:
  // they wait for their service's metrics (bounded as the data plane's own buffer is).
  const early: RequestRecord[] = [];
  let received = 0;
  const sink: MetricsSink = {
    record(r) {
      received++;
      const metrics = metricsOf.get(r.service ?? '');
      if (metrics) metrics.record(r);
      else if (!servicesStarted && early.length < EARLY_RECORDS_LIMIT) early.push(r);
    },
  };
  let servicesStarted = false;
  const proxy = await openProxy(opts, dataDir, sink, logger);
  const plane = proxy.plane;
  // A running data plane keeps serving what it serves: every service's scope starts from it.
  const scopes = createServiceScopes(plane, proxy.served);

  // Links in notifications point at the API's address.
  const externalUrl = process.env.GANTRY_EXTERNAL_URL ?? `http://${formatHost(listen.host)}:${listen.port}`;
  const shared: SharedParts = {
    store,
    dataDir,
    database,
    logger,
    audit,
    artifacts,
    ackLinkKey: await loadAckLinkKey(dataDir),
    externalUrl,
    backupDatapoints: backupScheduler,
    ...(changes ? { changes } : {}),
  };

  const startedAt = new Date().toISOString();
  const refusals = new RefusalBudget(opts.refusalLimit);
  const apis = new Map<string, FastifyInstance>();
  const apiOf = async (runtime: ServiceRuntime): Promise<FastifyInstance> => {
    const api = buildApi({
      ...runtime.api,
      logger,
      server: { version: GANTRY_VERSION, startedAt, dataDir },
      maxArtifactBytes: opts.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES,
      ...(opts.maxArtifactEntries !== undefined ? { maxArtifactEntries: opts.maxArtifactEntries } : {}),
      reload: (o) => set.reload(o),
      services: () => set.summaries(),
      auth,
      audit,
      refusals,
      backups,
      backupMetrics: () => backupScheduler.metrics(),
    });
    await api.ready();
    return api;
  };
  set = new ServiceSet({
    configArgs,
    logger,
    start: async (l) => {
      const runtime = await startServiceRuntime({
        loaded: l,
        shared,
        dataPlane: scopes.scope(l.config.service),
        served: scopes.served(l.config.service),
        othersInstances: async () => othersInstances(store, l.config.service),
        keyRotated: async (by) => {
          for (const other of set.runtimes().values())
            if (other.secrets !== by) await other.secrets.followKey(by);
        },
      });
      metricsOf.set(runtime.name, runtime.metrics);
      for (const r of early) if (r.service === runtime.name) runtime.metrics.record(r);
      apis.set(runtime.name, await apiOf(runtime));
      return runtime;
    },
    stop: async (runtime, o) => {
      const api = apis.get(runtime.name);
      apis.delete(runtime.name);
      await api?.close();
      await runtime.close(o);
      metricsOf.delete(runtime.name);
    },
  });
  try {
    for (const l of loaded) await set.add(l);
    servicesStarted = true;
    early.length = 0;
    await backupScheduler.start();
  } catch (err) {
    // A service that cannot start (its secrets sealed with another master key, say) stops the start.
    await set.closeAll({ stopInstances: false });
    await plane.close();
    await closeStore();
    throw err;
  }

  const http = createServiceDispatcher({
    current: () => apis,
    ackLinkOwner: async (token) => {
      const claims = verifyAckLink(shared.ackLinkKey, token, Date.now());
      if (typeof claims === 'string') return undefined;
      if (claims.service !== undefined) return claims.service;
      // A link signed before alert groups were per service: the service whose group it fires.
      const firing = await store.notifications.alerts.list({ status: 'firing' });
      return firing.find((g) => g.alarm === claims.alarm && g.environment === claims.environment)?.service;
    },
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(listen.port, listen.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://${formatHost(listen.host)}:${port}`;
  logger.info({ url, dataDir, services: [...apis.keys()] }, 'gantry server ready');

  const first = set.runtimes().values().next().value as ServiceRuntime;
  // The `gantry server` process (the one whose data plane runs apart) gives back the memory a burst
  // of request records grew once they stop; a server inside another program leaves that to it.
  const compaction =
    opts.dataPlane?.kind === 'process' ? new IdleCompaction({ progress: () => received }) : undefined;
  let closing: Promise<void> | undefined;
  const server: GantryServer = {
    url,
    dataDir,
    config: loaded[0] as LoadedConfig,
    store,
    dataPlane: first.dataPlane,
    engine: first.engine,
    fleet: first.fleet,
    metrics: first.metrics,
    auth,
    audit,
    services: () => set.runtimes(),
    ...(adminToken ? { adminToken } : {}),
    leaderLost: leadership.lost,
    // A reload not asked through the API (SIGHUP) is recorded here; the API records its own.
    reload: (o = {}) =>
      audit.track(
        { actor: SYSTEM_ACTOR, action: 'config.reload' },
        () => set.reload(o),
        (r) => ({ ...r }),
      ),
    close: (o = {}) => {
      closing ??= (async () => {
        compaction?.close();
        // No new connections; each service's API closes (its event streams end) before its runtime.
        const stopped = new Promise((resolve) => http.close(resolve));
        await backupScheduler.stop();
        const keepDataPlane = o.keepDataPlane ?? false;
        await set.closeAll({ stopInstances: o.stopInstances ?? false, keepDataPlane });
        http.closeAllConnections();
        await stopped;
        if (keepDataPlane) proxy.detach();
        else await plane.close();
        await closeStore();
      })();
      return closing;
    },
  };

  void leadership.lost.then((err) => {
    logger.fatal(
      { err },
      'lost the leader lock: stopping now (instances and the data plane keep running) so that a standby can take over',
    );
    // Like an upgrade: the proxy keeps serving the last routes until the new leader adopts them.
    return server
      .close({ keepDataPlane: true })
      .catch((closeErr: unknown) => logger.error({ err: closeErr }, 'error while stopping'));
  });

  if (opts.initialVersion && opts.initialArtifact) {
    for (const runtime of set.runtimes().values()) {
      await bootstrapInitialVersion({
        config: runtime.holder.get(),
        store,
        artifacts,
        control: runtime.control,
        engine: runtime.engine,
        logger,
        version: opts.initialVersion,
        artifactDir: opts.initialArtifact,
      });
    }
  }
  return server;
}

/** The data plane: in this process, or the processes that outlive it (adopted when running). */
async function openProxy(
  opts: ServerOptions,
  dataDir: string,
  sink: MetricsSink,
  logger: Logger,
): Promise<{ plane: DataPlane; served: DesiredState | null; detach: () => void }> {
  const mode = opts.dataPlane ?? { kind: 'in-process' };
  if (mode.kind === 'in-process') {
    const plane = createDataPlane({ sink, logger: logger.child({ component: 'proxy' }) });
    return { plane, served: null, detach: () => void plane.close() };
  }
  const { plane, served } = await openDataPlaneProcesses({
    dataDir,
    workers: mode.workers,
    build: GANTRY_VERSION,
    sink,
    logger: logger.child({ component: 'data-plane' }),
    replace: mode.replace ?? false,
  });
  return { plane, served, detach: () => plane.detach() };
}

/** Instances the store records for the other services (their runtimes share the runtime's marks). */
async function othersInstances(store: Store, service: string): Promise<ReadonlySet<string>> {
  return new Set((await store.instances.list()).filter((r) => r.service !== service).map((r) => r.id));
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
