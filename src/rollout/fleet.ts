// The fleet: every instance this server supervises, with its probes and its readiness. Releases
// start, wait for and stop instances here; which of them serve an environment belongs to routing
// (routing.ts), which the fleet tells whenever an instance's readiness changes.
import path from 'node:path';
import type { EnvironmentConfig, LoadedConfig } from '../config/types.ts';
import { shortId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import { cutLine } from '../logs/cut-line.ts';
import { createInstanceProber, type InstanceProber, type ProbeEvent } from '../probes/index.ts';
import type { DataPlane } from '../proxy/types.ts';
import type {
  AdoptRecord,
  Artifact,
  ArtifactRef,
  InstanceHandle,
  InstanceInfo,
  InstanceSpec,
  InstanceStats,
  LogLine,
  RuntimeEvent,
  WorkloadDriver,
} from '../runtime/driver.ts';
import { pickSecrets } from '../secrets/inject.ts';
import type { InstanceSecretSource } from '../secrets/types.ts';
import type { InstanceRecord, Store, VersionRecord } from '../store/types.ts';
import { digestOf } from './image-versions.ts';
import { InstanceEvents } from './instance-events.ts';
import { LAST_OUTPUT_SCAN_LINES, lastOutput } from './last-output.ts';
import { type ManagedInstance, persistInstance } from './managed-instance.ts';
import { Routing, type ServingPool } from './routing.ts';

export type ReadyOutcome = { ok: true } | { ok: false; instanceId: string; reason: string };

const EXITS_BEFORE_READY_LIMIT = 3;

export class Fleet {
  readonly #cfg: () => LoadedConfig;
  readonly #driver: WorkloadDriver;
  readonly #plane: DataPlane;
  readonly #store: Store;
  readonly #events: InstanceEvents;
  readonly #dataDir: string;
  readonly #log: Logger;
  readonly #secrets: InstanceSecretSource | undefined;
  readonly #instances = new Map<string, ManagedInstance>();
  readonly #waiters = new Set<() => void>();
  /** Which instances serve which environment; the fleet tells it when readiness changes. */
  readonly routing: Routing;
  #unsubscribe: () => void;

  constructor(opts: {
    config: () => LoadedConfig;
    driver: WorkloadDriver;
    dataPlane: DataPlane;
    store: Store;
    dataDir: string;
    logger: Logger;
    /** The environments' secrets for their instances, and the mask for instance output shown elsewhere. */
    secrets?: InstanceSecretSource;
  }) {
    this.#cfg = opts.config;
    this.#driver = opts.driver;
    this.#plane = opts.dataPlane;
    this.#store = opts.store;
    this.#dataDir = opts.dataDir;
    this.#log = opts.logger;
    this.#secrets = opts.secrets;
    this.#events = new InstanceEvents(opts.store, opts.logger);
    this.routing = new Routing({
      config: opts.config,
      dataPlane: opts.dataPlane,
      instance: (id) => {
        const m = this.#instances.get(id);
        return (
          m && {
            backend: { id: m.id, version: m.version, url: `http://${m.info.host}:${m.info.port}` },
            routable: m.ready && !m.stopping,
          }
        );
      },
      logger: opts.logger,
    });
    this.#unsubscribe = this.#driver.subscribe((e) => this.#onRuntimeEvent(e));
  }

  get(id: string): ManagedInstance | undefined {
    return this.#instances.get(id);
  }

  list(environment?: string): ManagedInstance[] {
    return [...this.#instances.values()].filter((i) => !environment || i.environment === environment);
  }

  serving(environment: string): ServingPool[] {
    return this.routing.serving(environment);
  }

  /** Recent output of an instance, secret values masked. */
  recentLogs(id: string, limit?: number): LogLine[] {
    const lines = this.#driver.recentLogs(id, limit);
    // Masked, then cut to the logs' length (the runtime captures longer lines so the mask sees whole values).
    return lines.map((l) => ({ ...l, line: cutLine(this.redact(l.line)) }));
  }

  /** `text` with every known secret value masked (instance output, check messages). */
  redact(text: string): string {
    return this.#secrets ? this.#secrets.redact(text) : text;
  }

  /** Secrets an environment lists in gantry.yaml that are not set: its instances cannot start. */
  missingSecrets(environment: string): string[] {
    const env = this.#env(environment);
    return pickSecrets(env.secrets, this.#secrets?.valuesFor(environment) ?? {}).missing;
  }

  newInstanceId(environment: string, version: string): string {
    const v = version.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40);
    return `${environment}-${v}-${shortId()}`;
  }

  /** Starts one instance of a version. The instance record is written before the instance is launched. */
  async start(
    id: string,
    environment: string,
    version: string,
    releaseId: string | null,
  ): Promise<ManagedInstance> {
    const { config } = this.#cfg();
    const ver = await this.#store.versions.get(config.service, version);
    if (!ver) throw new Error(`version ${version} of ${config.service} is not uploaded`);
    // An image version starts from its recorded digest: the release resolved (pulled) it just
    // before, and the driver pulls it again only if the engine lost it since.
    const artifact =
      digestOf(ver) !== undefined
        ? this.#recordedArtifact(ver)
        : await this.#driver.resolveArtifact(this.#artifactRef(ver));
    await this.#store.instances.upsert({
      id,
      service: config.service,
      environment,
      version,
      releaseId,
      runtime: this.#driver.kind,
      state: 'starting',
      handle: null,
      port: null,
      restarts: 0,
    });
    const info = await this.#driver.start(this.#spec(id, environment, version, artifact));
    return this.#track(info, releaseId);
  }

  /**
   * Takes over the instances a previous server left running; returns those still alive. Records
   * that cannot be adopted (nothing was running yet, version or environment gone) are left out.
   * Those the running data plane routes to (`routed`) count as ready from the start (a failed
   * liveness probe or an exit still takes them out), so that adopting them flips no traffic.
   */
  async adopt(
    records: InstanceRecord[],
    routed: ReadonlySet<string> = new Set(),
  ): Promise<ManagedInstance[]> {
    const { config } = this.#cfg();
    const adoptable: AdoptRecord[] = [];
    const releases = new Map<string, string | null>();
    for (const rec of records) {
      if (!rec.handle || rec.handle.driver !== this.#driver.kind || rec.port == null) continue;
      if (!config.environments[rec.environment]) continue;
      const ver = await this.#store.versions.get(config.service, rec.version);
      if (!ver) continue;
      const artifact = this.#recordedArtifact(ver);
      adoptable.push({
        spec: { ...this.#spec(rec.id, rec.environment, rec.version, artifact), port: rec.port },
        handle: rec.handle as InstanceHandle,
        port: rec.port,
        restarts: rec.restarts,
      });
      releases.set(rec.id, rec.releaseId);
    }
    const infos = adoptable.length > 0 ? await this.#driver.adopt(adoptable) : [];
    return infos.map((info) => {
      const m = this.#track(info, releases.get(info.id) ?? null);
      m.everReady = true; // it served before; liveness counts from now on
      m.ready = routed.has(m.id);
      return m;
    });
  }

  /** Ends what the runtime still runs for instances no record claims; returns their ids. */
  removeOrphans(claimed: ReadonlySet<string>): Promise<string[]> {
    return this.#driver.removeOrphans(claimed, this.#cfg().config.run.stop_timeout);
  }

  /** CPU and memory of an instance, as its runtime measures them. */
  stats(id: string): Promise<InstanceStats | undefined> {
    return this.#driver.stats(id);
  }

  /** Persistent data directory of an environment: it survives versions (GANTRY_DATA_DIR). */
  environmentDataDir(environment: string): string {
    const { config, dir } = this.#cfg();
    const base = config.run.data_dir
      ? path.resolve(dir, config.run.data_dir)
      : path.join(this.#dataDir, 'data', config.service);
    return path.join(base, environment);
  }

  /** An image version runs the digest recorded with it (`repo@sha256:…`), never its tag again. */
  #artifactRef(ver: VersionRecord): ArtifactRef {
    if (ver.artifactKind === 'image') return { kind: 'image', image: ver.artifactRef };
    return { kind: 'directory', directory: path.join(this.#dataDir, ver.artifactRef) };
  }

  /** The artifact of an adopted instance: what its version recorded, without pulling anything. */
  #recordedArtifact(ver: VersionRecord): Artifact {
    const digest = digestOf(ver);
    if (digest !== undefined) return { kind: 'image', image: ver.artifactRef, digest };
    return { kind: 'directory', directory: path.join(this.#dataDir, ver.artifactRef) };
  }

  #spec(id: string, environment: string, version: string, artifact: Artifact): InstanceSpec {
    const { config } = this.#cfg();
    const env = this.#env(environment);
    return {
      id,
      service: config.service,
      environment,
      version,
      artifact,
      ...(config.run.command !== undefined ? { command: config.run.command } : {}),
      env: { ...config.run.env, ...env.env, ...this.#secretEnv(env) },
      portEnv: config.run.port_env,
      ...(config.run.port !== undefined ? { containerPort: config.run.port } : {}),
      ...(config.run.resources !== undefined ? { resources: resourcesOf(config.run.resources) } : {}),
      dataDir: this.environmentDataDir(environment),
      stopTimeoutMs: config.run.stop_timeout,
    };
  }

  /**
   * Waits until every instance is ready. Fails as soon as one cannot get there: it exited
   * repeatedly before its first ready, or the startup timeout passed.
   */
  async waitReady(ids: string[], timeoutMs: number, signal?: AbortSignal): Promise<ReadyOutcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) return { ok: false, instanceId: ids[0] ?? '', reason: 'release was aborted' };
      let allReady = true;
      for (const id of ids) {
        const m = this.#instances.get(id);
        if (!m) return { ok: false, instanceId: id, reason: `instance ${id} is gone` };
        if (m.exitsBeforeReady >= EXITS_BEFORE_READY_LIMIT) {
          return { ok: false, instanceId: id, reason: this.#describeFailure(m, 'crashed') };
        }
        if (!m.ready) allReady = false;
      }
      if (allReady) return { ok: true };
      const left = deadline - Date.now();
      if (left <= 0) {
        const stuck = ids.map((id) => this.#instances.get(id)).find((m) => m && !m.ready);
        return {
          ok: false,
          instanceId: stuck?.id ?? '',
          reason: stuck
            ? this.#describeFailure(stuck, `not ready after ${Math.round(timeoutMs / 1000)} s`)
            : 'timed out',
        };
      }
      await this.#changed(Math.min(left, 1000), signal);
    }
  }

  /** Sets which instances serve an environment; only the ready ones receive traffic. */
  setServing(environment: string, pools: ServingPool[]): Promise<void> {
    return this.routing.setServing(environment, pools);
  }

  /** Takes instances out of traffic, waits for their in-flight requests, then stops them for good. */
  async stop(ids: string[], opts: { drain: boolean }): Promise<void> {
    const { config } = this.#cfg();
    const present = ids.filter((id) => this.#instances.has(id));
    for (const id of present) {
      const m = this.#instances.get(id);
      if (m) m.stopping = true;
    }
    await this.routing.withdraw(present);
    if (opts.drain && present.length > 0) {
      const left = await this.#plane.drain(present, config.run.drain_timeout);
      if (left > 0)
        this.#log.warn({ instances: present, inFlight: left }, 'drain timed out; stopping anyway');
    }
    await Promise.all(
      present.map(async (id) => {
        const m = this.#instances.get(id);
        m?.prober?.stop();
        await this.#driver.stop(id, { graceMs: config.run.stop_timeout });
        this.#instances.delete(id);
        await this.#store.instances.remove(id);
      }),
    );
    this.#notify();
  }

  /** Stops supervising; leaves instances running (for adoption) unless stopInstances. */
  async close(opts: { stopInstances: boolean }): Promise<void> {
    this.#unsubscribe();
    for (const m of this.#instances.values()) m.prober?.stop();
    if (opts.stopInstances) {
      await this.stop([...this.#instances.keys()], { drain: true });
    }
  }

  #track(info: InstanceInfo, releaseId: string | null): ManagedInstance {
    const m: ManagedInstance = {
      id: info.id,
      environment: info.spec.environment,
      version: info.spec.version,
      releaseId,
      info,
      prober: null,
      ready: false,
      exitsBeforeReady: 0,
      everReady: false,
      lastProbe: null,
      stopping: false,
    };
    this.#instances.set(info.id, m);
    this.#startProber(m);
    void this.#persist(m);
    return m;
  }

  #startProber(m: ManagedInstance): void {
    m.prober?.stop();
    const prober = createInstanceProber({
      target: { host: m.info.host, port: m.info.port },
      health: this.#cfg().config.health,
      logger: this.#log.child({ instance: m.id, environment: m.environment }),
    });
    m.prober = prober;
    prober.onChange((e) => this.#onProbe(m, prober, e));
    prober.start();
  }

  #onProbe(m: ManagedInstance, prober: InstanceProber, e: ProbeEvent): void {
    if (m.prober !== prober || m.stopping) return;
    m.lastProbe = e.result;
    if (e.type === 'ready' || e.type === 'unready') {
      const ready = e.type === 'ready';
      const wasServing = m.everReady;
      if (ready) m.everReady = true;
      if (m.ready !== ready) {
        m.ready = ready;
        void this.routing.apply();
        // The first ready of a new instance is part of its release; later flips are news.
        if (wasServing) {
          const verb = ready ? 'passes readiness again' : 'fails readiness: out of traffic';
          this.#events.record(
            m,
            ready ? 'instance.ready' : 'instance.unready',
            `instance ${m.id} ${verb} (${e.result.detail})`,
          );
        }
      }
    } else if (e.type === 'liveness_failed') {
      this.#events.record(
        m,
        'instance.restarted',
        `instance ${m.id} failed liveness ${e.failures} times (${e.result.detail}); restarting it`,
        {
          failures: e.failures,
        },
      );
      this.#log.warn(
        { instance: m.id, failures: e.failures, detail: e.result.detail },
        'liveness failed; restarting',
      );
      m.ready = false;
      void this.routing.apply();
      this.#driver
        .restart(m.id, `liveness failed ${e.failures} times: ${e.result.detail}`)
        .catch((err: unknown) =>
          this.#log.error({ err, instance: m.id }, 'restart after liveness failure failed'),
        );
    }
    this.#notify();
  }

  #onRuntimeEvent(e: RuntimeEvent): void {
    if (e.type === 'log') return;
    const m = this.#instances.get(e.instance.id);
    if (!m) return;
    m.info = e.instance;
    if (e.type === 'exited') {
      if (!m.everReady) m.exitsBeforeReady++;
      m.prober?.stop();
      m.prober = null;
      if (m.ready) {
        m.ready = false;
        void this.routing.apply();
      }
      this.#log.warn(
        { instance: m.id, code: e.exit.code, signal: e.exit.signal, restartInMs: e.restartInMs },
        'instance exited',
      );
      const how = e.exit.code != null ? `with code ${e.exit.code}` : `by signal ${e.exit.signal}`;
      const next = e.restartInMs != null ? `; restarting in ${e.restartInMs} ms` : '';
      this.#events.record(m, 'instance.exited', `instance ${m.id} (${m.version}) exited ${how}${next}`, {
        code: e.exit.code,
        signal: e.exit.signal,
        restartInMs: e.restartInMs,
        restarts: e.instance.restarts,
        lastOutput: lastOutput(this.recentLogs(m.id, LAST_OUTPUT_SCAN_LINES)),
      });
    } else if (e.type === 'started' && !m.stopping) {
      this.#startProber(m);
    }
    void this.#persist(m);
    this.#notify();
  }

  #persist(m: ManagedInstance): Promise<void> {
    return persistInstance(this.#store, this.#driver.kind, m, this.#log);
  }

  #describeFailure(m: ManagedInstance, what: string): string {
    const parts = [`instance ${m.id} (${m.version}) ${what}`];
    const exit = m.info.lastExit;
    if (exit) parts.push(`last exit: ${exit.code != null ? `code ${exit.code}` : `signal ${exit.signal}`}`);
    if (m.exitsBeforeReady > 0) parts.push(`${m.exitsBeforeReady} exit(s) before ready`);
    if (m.lastProbe) parts.push(`last probe: ${m.lastProbe.detail}`);
    const lines = lastOutput(this.recentLogs(m.id, LAST_OUTPUT_SCAN_LINES));
    if (lines.length > 0) parts.push(`last output: ${lines.join(' | ')}`);
    return parts.join('; ');
  }

  /** The listed secrets that are set (a release checks first that none is missing). */
  #secretEnv(env: EnvironmentConfig): Record<string, string> {
    if (!this.#secrets || env.secrets.length === 0) return {};
    return pickSecrets(env.secrets, this.#secrets.valuesFor(env.name)).env;
  }

  #env(name: string): EnvironmentConfig {
    const env = this.#cfg().config.environments[name];
    if (!env) throw new Error(`unknown environment ${name}`);
    return env;
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  #changed(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

function resourcesOf(r: { cpus?: number; memory?: number }): InstanceSpec['resources'] {
  return {
    ...(r.cpus !== undefined ? { cpus: r.cpus } : {}),
    ...(r.memory !== undefined ? { memoryBytes: r.memory } : {}),
  };
}
