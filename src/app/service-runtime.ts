// One service of a Gantry server: its config, instances, releases, alarms, notifications and the
// rest, over the parts every service shares (store, master key, audit, artifacts, the data plane).
// Started at server start or when a reload adds a service file; closed at stop or when a reload
// removes it.

import type { ExtraMetricSource } from '../alarms/datapoints.ts';
import { checkRules, createAlarmEngine, SeriesStore } from '../alarms/index.ts';
import type { ApiDeps } from '../api/server.ts';
import type { ArtifactStore } from '../artifacts/index.ts';
import type { AuditLog } from '../audit/log.ts';
import type { LoadedConfig } from '../config/types.ts';
import { createIncidentManager } from '../incidents/index.ts';
import type { Logger } from '../lib/log.ts';
import { withOverrides } from '../lib/with-overrides.ts';
import { captureRuntimeLogs, createLogService } from '../logs/index.ts';
import { createMetricsEngine, type MetricsEngine } from '../metrics/engine.ts';
import { createInstanceSampler } from '../metrics/instance-sampler.ts';
import { createNotifier } from '../notify/index.ts';
import { checkEdgeFiles, withEdgeConfig } from '../proxy/index.ts';
import type { DataPlane, DesiredState } from '../proxy/types.ts';
import { ControlPlane } from '../rollout/control.ts';
import { ReleaseEngine } from '../rollout/engine.ts';
import { ReleaseEventBus } from '../rollout/events.ts';
import { Fleet } from '../rollout/fleet.ts';
import { imageResolverOf } from '../rollout/image-versions.ts';
import { recoverFleet } from '../rollout/recover.ts';
import { createDriver } from '../runtime/index.ts';
import { cachedRedactor, SecretRestarts, SecretService } from '../secrets/index.ts';
import { createSloReader, sloBudgets } from '../slo/status.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { Store } from '../store/types.ts';
import { createSyntheticsRunner } from '../synthetics/index.ts';
import { ReleaseTriggers } from '../triggers/index.ts';
import { acmeTargets, createAcmeService } from './acme.ts';
import { ackAlertsOfIncident, wireAlerting } from './alerting.ts';
import { ConfigHolder } from './reload.ts';
import { secretValuesCache } from './secret-values.ts';
import { serviceStore } from './service-store.ts';

/** What every service of a server shares. */
export interface SharedParts {
  store: Store;
  dataDir: string;
  /** The database file, named in errors about the master key. */
  database: string;
  logger: Logger;
  audit: AuditLog;
  artifacts: ArtifactStore;
  ackLinkKey: Buffer;
  /** Base of the links in notifications (the API's address). */
  externalUrl: string;
  /** Changes other servers on the same database announce (PostgreSQL); none on SQLite. */
  changes?: ChangeFeed;
  /** backup_failures for the built-in alarm of a service whose file has `backups`. */
  backupDatapoints?: Pick<ExtraMetricSource, 'datapoint'>;
}

export interface ServiceRuntime {
  readonly name: string;
  readonly holder: ConfigHolder;
  readonly fleet: Fleet;
  readonly engine: ReleaseEngine;
  readonly metrics: MetricsEngine;
  readonly dataPlane: DataPlane;
  /** The API's view of this service (the server adds what is global: auth, audit, reload). */
  readonly api: Omit<ApiDeps, 'auth' | 'audit' | 'reload' | 'server' | 'maxArtifactBytes' | 'logger'>;
  readonly control: ControlPlane;
  readonly secrets: SecretService;
  /** With keepDataPlane, its routes stay in the data plane (an upgrade: the next server adopts them). */
  close(opts: { stopInstances: boolean; keepDataPlane?: boolean }): Promise<void>;
}

export interface ServiceRuntimeOptions {
  loaded: LoadedConfig;
  shared: SharedParts;
  /** This service's part of the shared data plane (service-scope.ts). */
  dataPlane: DataPlane;
  /** What a running data plane serves for this service (a restarted server adopts it), or null. */
  served: DesiredState | null;
  /** Instances of the other services: never taken for leftovers of this one at recovery. */
  othersInstances: () => Promise<ReadonlySet<string>>;
  /** This service rotated the master key (and re-sealed every service's secrets with it). */
  keyRotated: (by: SecretService) => Promise<void>;
}

/** Environment events (crashes, restarts) older than this are dropped at start. */
const EVENT_RETENTION_MS = 30 * 24 * 3600 * 1000;

export async function startServiceRuntime(opts: ServiceRuntimeOptions): Promise<ServiceRuntime> {
  const { loaded, shared } = opts;
  const name = loaded.config.service;
  const logger = shared.logger.child({ service: name });
  const store = serviceStore(shared.store, name);
  const holder = new ConfigHolder(loaded);
  const config = holder.get;
  const dataDir = shared.dataDir;

  await store.services.upsert(name);
  for (const env of Object.keys(loaded.config.environments)) await store.environments.ensure(name, env);
  await store.events.prune(new Date(Date.now() - EVENT_RETENTION_MS).toISOString());
  // Every secret, before anything starts instances or shows their output.
  const secrets = await SecretService.open({
    store,
    service: name,
    dataDir,
    database: shared.database,
    logger: logger.child({ component: 'secrets' }),
    ...(shared.changes ? { changes: shared.changes } : {}),
  });
  const secretValues = secretValuesCache(config, secrets);

  const runtime = loaded.config.runtime;
  const driver = createDriver(
    runtime.type === 'docker' ? { kind: 'docker', docker: { ...runtime.docker } } : { kind: 'process' },
    { dataDir, logger: logger.child({ component: 'runtime' }), lookupSecret: (n) => secrets.lookup(n) },
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
    service: name,
    logger: logger.child({ component: 'metrics' }),
  });
  metrics.start();
  // Certificates obtained through ACME (tls.acme), and the HTTP-01 answers the listeners give.
  const acme = createAcmeService({
    config,
    store,
    sealer: secrets,
    logger: logger.child({ component: 'acme' }),
  });
  // Each environment's TLS, limits and headers come from the config current at every apply.
  const dataPlane = withEdgeConfig(opts.dataPlane, config, acme);
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
    audit: shared.audit,
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
  try {
    // A running data plane keeps serving what it serves while the instances are adopted.
    if (opts.served) fleet.routing.seed(opts.served);
    // Stored certificates (or stand-ins) before the listeners open; missing ones are ordered once they are.
    await acme.start(() => fleet.routing.apply());
    if (!opts.served) await fleet.routing.apply();
    await recoverFleet({
      config: loaded,
      store,
      fleet,
      engine,
      logger,
      othersInstances: opts.othersInstances,
      routed: new Set(
        opts.served?.environments.flatMap((r) => r.pools.flatMap((p) => p.backends.map((b) => b.id))) ?? [],
      ),
    });
  } catch (err) {
    // A listener that cannot open (its port taken, say): what started so far stops again.
    await engine.close();
    await fleet.close({ stopInstances: false });
    await acme.stop();
    await driver.close({ stopInstances: false, graceMs: loaded.config.run.stop_timeout });
    await dataPlane.close();
    sampler.stop();
    stopCapture();
    await logs.stop();
    await metrics.stop();
    throw err;
  }

  // Alarms → notifications and incidents.
  const series = new SeriesStore();
  const alarms = createAlarmEngine({
    config,
    metrics,
    store,
    series,
    // backup_failures from the server's backups, log_matches:<name> from the logs,
    // cert_expiry_seconds and acme_failures from ACME.
    extraMetrics: {
      datapoint: async (q) => {
        const fromBackups = await shared.backupDatapoints?.datapoint(q);
        if (fromBackups !== undefined) return fromBackups;
        const fromLogs = await logs.metrics.datapoint(q);
        return fromLogs !== undefined ? fromLogs : acme.datapoints.datapoint(q);
      },
    },
    logger: logger.child({ component: 'alarms' }),
  });
  const synthetics = createSyntheticsRunner({
    config,
    series,
    logger: logger.child({ component: 'synthetics' }),
    redact: secretValues,
    deployed: (env) => fleet.serving(env).length > 0,
    target: async (env) => {
      const a = (await dataPlane.addresses()).get(env);
      return (
        a &&
        `${config().config.environments[env]?.tls ? 'https' : 'http'}://${formatHost(a.host === '0.0.0.0' || a.host === '::' ? '127.0.0.1' : a.host)}:${a.port}`
      );
    },
  });
  const notifier = createNotifier({
    config,
    store,
    externalUrl: shared.externalUrl,
    ackLinkKey: shared.ackLinkKey,
    logger: logger.child({ component: 'notify' }),
    secret: (n) => secrets.lookup(n),
  });
  const incidents = createIncidentManager({
    config,
    store,
    externalUrl: shared.externalUrl,
    logger: logger.child({ component: 'incidents' }),
    onChange: (e) => ackAlertsOfIncident(notifier, logger, e),
  });
  const unwire = wireAlerting({ alarms, notifier, incidents, releases: engine, store, logger });
  holder.check((next) => checkRules(next.config));
  holder.check(checkEdgeFiles);
  holder.check((next) => void acmeTargets(next));
  holder.onReload(() => {
    alarms.reload();
    synthetics.reload();
  });
  // Edge settings (TLS files, limits, headers) reach the listeners with this apply.
  holder.onReload(() => acme.reload());
  holder.onReload(() => fleet.routing.apply());
  await notifier.start();
  await alarms.start();
  synthetics.start();
  triggers.start(bus);

  return {
    name,
    holder,
    fleet,
    engine,
    metrics,
    dataPlane,
    control,
    secrets,
    api: {
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
      artifacts: shared.artifacts,
      dataPlane,
      triggers,
      // `${secret:NAME}` in triggers.github.secret: the global secret NAME, else the server's variable.
      secret: (n) => secrets.lookup(n),
      secrets: {
        secrets: withOverrides(secrets, {
          rotateKey: async (key?: Buffer) => {
            const rotation = await secrets.rotateKey(key);
            await opts.keyRotated(secrets);
            return rotation;
          },
        }),
        config,
        restart: (change) => secretRestarts.afterSet(change),
      },
      ackLinkKey: shared.ackLinkKey,
      ownMetrics: () => acme.metrics(),
    },
    async close(o) {
      secretRestarts.close();
      await triggers.stop();
      unwire();
      await synthetics.stop();
      await alarms.stop();
      await engine.close();
      // ACME stops after the fleet: while instances drain, the fleet re-applies routes, and those of
      // an ACME environment need its certificate (without it the route would turn to plain HTTP,
      // and clash with another service's HTTPS environment on the same address).
      await fleet.close({ stopInstances: o.stopInstances });
      await acme.stop();
      await driver.close({ stopInstances: false, graceMs: config().config.run.stop_timeout });
      if (!o.keepDataPlane) await dataPlane.close();
      sampler.stop();
      await notifier.stop();
      await incidents.idle();
      stopCapture();
      await logs.stop();
      await metrics.stop();
    },
  };
}

export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
