// The contract every WorkloadDriver keeps, as one suite that runs against each driver (in the style
// of hono's `runTest({ newRouter })`): start, ready, stop with grace, crash and backoff, restart,
// adoption after a server restart, orphans, output, stats, per-instance state and the persistent
// data directory. A driver that cannot keep a part declares it in `skip` with the reason.
//
// The service under test is test/fixtures/services/contract-service.mjs (its header lists what it
// answers); `makeArtifact` says how this driver runs it (a directory holding it for processes, an
// image carrying it for docker).
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  Artifact,
  ArtifactRef,
  InstanceHandle,
  InstanceInfo,
  InstanceSpec,
  RuntimeEvent,
  WorkloadDriver,
} from '../../src/runtime/index.ts';

export const CONTRACT_TESTS = [
  'start: serves on its port with the spec environment',
  'resolveArtifact: accepts the artifact and names a missing one',
  'stop: polite stop first, then gone for good',
  'stop: killed after the grace period when the polite stop is ignored',
  'crash: restarted with backoff, the exit reported',
  'restart: replaced at once, counting a restart',
  'adopt: a new driver over the same data takes over a running instance',
  'adopt: leaves out an instance that is gone',
  'orphans: removes what no record claims, nothing else',
  'output: stdout and stderr lines in events and recentLogs',
  'stats: memory while running, CPU from the second reading, nothing once stopped',
  'state: relative files are private to each instance',
  'state: the data directory is per environment and survives versions',
] as const;

export type ContractTest = (typeof CONTRACT_TESTS)[number];

/** How a driver runs the contract service. */
export interface ContractArtifact {
  /** Resolved through the driver's resolveArtifact before each start. */
  ref: ArtifactRef;
  /** A reference that does not exist: resolveArtifact must reject it naming it. */
  missing: ArtifactRef;
  command?: string | string[];
  containerPort?: number;
  /** Extra variables (PATH for processes, CONTRACT_HOST=0.0.0.0 in a container, …). */
  env?: Record<string, string>;
}

export interface DriverContractOptions {
  /** A new driver keeping its files under `dataDir` (a second one over the same dir = the server restarted). */
  makeDriver: (dataDir: string) => WorkloadDriver | Promise<WorkloadDriver>;
  makeArtifact: () => Promise<ContractArtifact>;
  /** Parts this driver does not keep, each with the reason. */
  skip?: ReadonlyArray<{ reason: string; tests: readonly ContractTest[] }>;
  /** Bound of every wait for the service (default 20 s). */
  waitMs?: number;
}

export function runDriverContract(name: string, opts: DriverContractOptions): void {
  const skipped = new Map<string, string>();
  for (const s of opts.skip ?? []) for (const t of s.tests) skipped.set(t, s.reason);
  const waitMs = opts.waitMs ?? 20_000;

  let temps: string[] = [];
  let drivers: WorkloadDriver[] = [];
  let dataDirs: string[] = [];
  let artifact: ContractArtifact;
  let counter = 0;

  async function tempDir(label: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `gantry-contract-${label}-`));
    temps.push(dir);
    return dir;
  }

  async function newDriver(dataDir?: string): Promise<{ driver: WorkloadDriver; dataDir: string }> {
    const dir = dataDir ?? (await tempDir('data'));
    if (!dataDirs.includes(dir)) dataDirs.push(dir);
    const driver = await opts.makeDriver(dir);
    drivers.push(driver);
    return { driver, dataDir: dir };
  }

  async function spec(driver: WorkloadDriver, over: Partial<InstanceSpec> = {}): Promise<InstanceSpec> {
    counter++;
    const resolved: Artifact = await driver.resolveArtifact(artifact.ref);
    return {
      id: `ct-${process.pid}-${counter}`,
      service: 'contract',
      environment: 'staging',
      version: 'v1',
      artifact: resolved,
      ...(artifact.command !== undefined ? { command: artifact.command } : {}),
      ...(artifact.containerPort !== undefined ? { containerPort: artifact.containerPort } : {}),
      env: { CONTRACT_GREETING: 'hello contract', ...artifact.env },
      portEnv: 'PORT',
      stopTimeoutMs: 5_000,
      ...over,
    };
  }

  const waitFor = <T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>) =>
    poll(what, check, waitMs);
  const serving = (i: InstanceInfo) =>
    waitFor(`${i.id} to serve`, () =>
      get(i, '/').then(
        (r) => r.status === 200 && r,
        () => undefined,
      ),
    );
  const refused = (i: InstanceInfo) =>
    waitFor(`${i.id} to stop answering`, () =>
      get(i, '/', 1_000).then(
        () => false,
        () => true,
      ),
    );

  function test(title: ContractTest, fn: () => Promise<void>): void {
    const reason = skipped.get(title);
    if (reason) it.skip(`${title} (skipped: ${reason})`, fn);
    else it(title, fn);
  }

  describe(`WorkloadDriver contract: ${name}`, () => {
    beforeEach(async () => {
      temps = [];
      drivers = [];
      dataDirs = [];
      artifact = await opts.makeArtifact();
    });

    afterEach(async () => {
      for (const d of drivers) await d.close({ stopInstances: true, graceMs: 2_000 });
      // Whatever a test left running on purpose (adoption, orphans) goes with a last sweep.
      for (const dir of dataDirs) {
        const sweeper = await opts.makeDriver(dir);
        await sweeper.removeOrphans(new Set(), 2_000);
        await sweeper.close({ stopInstances: true, graceMs: 2_000 });
      }
      for (const dir of temps) await rm(dir, { recursive: true, force: true });
    });

    test('start: serves on its port with the spec environment', async () => {
      const { driver } = await newDriver();
      const s = await spec(driver, { dataDir: join(await tempDir('env'), 'staging') });
      const info = await driver.start(s);
      expect(info).toMatchObject({ id: s.id, spec: s, restarts: 0 });
      expect(['starting', 'running']).toContain(info.status);
      expect(info.handle?.driver).toBe(driver.kind);
      expect(JSON.parse(JSON.stringify(info.handle))).toEqual(info.handle);
      expect((await serving(info)).body).toBe(`ok ${s.id}`);
      const env = JSON.parse((await get(info, '/env')).body) as Record<string, string>;
      expect(env).toMatchObject({
        CONTRACT_GREETING: 'hello contract',
        GANTRY_INSTANCE_ID: s.id,
        GANTRY_SERVICE: 'contract',
        GANTRY_ENVIRONMENT: 'staging',
        GANTRY_VERSION: 'v1',
      });
      expect(env.PORT).toMatch(/^\d+$/);
      expect(env.GANTRY_DATA_DIR).toBeTruthy();
      expect(driver.get(s.id)?.status).toBe('running');
      expect(driver.list().map((i) => i.id)).toEqual([s.id]);
      await expect(driver.start(s)).rejects.toThrow(/already exists/);
    });

    test('resolveArtifact: accepts the artifact and names a missing one', async () => {
      const { driver } = await newDriver();
      expect((await driver.resolveArtifact(artifact.ref)).kind).toBe(artifact.ref.kind);
      const missing =
        artifact.missing.kind === 'directory' ? artifact.missing.directory : artifact.missing.image;
      await expect(driver.resolveArtifact(artifact.missing)).rejects.toThrow(missing);
    });

    test('stop: polite stop first, then gone for good', async () => {
      const { driver } = await newDriver();
      const events = new Events(driver);
      const info = await driver.start(await spec(driver));
      await serving(info);
      await driver.stop(info.id, { graceMs: 10_000 });
      expect(driver.get(info.id)?.status ?? 'stopped').toBe('stopped');
      expect(events.of('stopped', info.id)).toHaveLength(1);
      expect(events.of('exited', info.id)).toHaveLength(0);
      await waitFor('the SIGTERM line', () =>
        driver.recentLogs(info.id).some((l) => l.line === 'got SIGTERM'),
      );
      await refused(info);
      await driver.stop(info.id, { graceMs: 10_000 }); // twice is harmless
      await new Promise((r) => setTimeout(r, 300));
      expect(events.of('started', info.id)).toHaveLength(1);
      expect(driver.list().filter((i) => i.status !== 'stopped')).toEqual([]);
    });

    test('stop: killed after the grace period when the polite stop is ignored', async () => {
      const { driver } = await newDriver();
      const info = await driver.start(
        await spec(driver, { env: { ...artifact.env, CONTRACT_STUBBORN: '1' } }),
      );
      await serving(info);
      const began = Date.now();
      await driver.stop(info.id, { graceMs: 1_000 });
      expect(Date.now() - began).toBeGreaterThanOrEqual(900);
      await refused(info);
    });

    test('crash: restarted with backoff, the exit reported', async () => {
      const { driver } = await newDriver();
      const events = new Events(driver);
      const info = await driver.start(await spec(driver));
      await serving(info);
      await get(info, '/exit?code=3');
      const [exited] = await waitFor('an exited event', () => events.of('exited', info.id).slice(0, 1));
      expect(exited?.exit.code).toBe(3);
      expect(exited?.restartInMs).toBeGreaterThan(0);
      await waitFor('a second start', () => events.of('started', info.id).length >= 2);
      await serving(info);
      expect(driver.get(info.id)).toMatchObject({ status: 'running', restarts: 1 });
      expect(driver.get(info.id)?.lastExit?.code).toBe(3);
    });

    test('restart: replaced at once, counting a restart', async () => {
      const { driver } = await newDriver();
      const info = await driver.start(await spec(driver));
      await serving(info);
      await driver.restart(info.id, 'liveness failed');
      const now = driver.get(info.id);
      expect(now).toMatchObject({ status: 'running', restarts: 1 });
      await serving(info);
      await expect(driver.restart('ct-unknown', 'test')).rejects.toThrow(/ct-unknown/);
    });

    test('adopt: a new driver over the same data takes over a running instance', async () => {
      const first = await newDriver();
      const info = await first.driver.start(await spec(first.driver));
      await serving(info);
      const handle = first.driver.get(info.id)?.handle as InstanceHandle;
      await first.driver.close({ stopInstances: false, graceMs: 1_000 });
      expect((await get(info, '/')).status).toBe(200);

      const { driver } = await newDriver(first.dataDir);
      const events = new Events(driver);
      const adopted = await driver.adopt([{ spec: info.spec, handle, port: info.port, restarts: 4 }]);
      expect(adopted.map((i) => i.id)).toEqual([info.id]);
      expect(adopted[0]).toMatchObject({ status: 'running', handle, port: info.port, restarts: 4 });
      await get(info, '/write?text=after-adoption');
      await waitFor('output after adoption', () => events.lines(info.id).includes('after-adoption'));
      await driver.stop(info.id, { graceMs: 5_000 });
      await refused(info);
    });

    test('adopt: leaves out an instance that is gone', async () => {
      const first = await newDriver();
      const info = await first.driver.start(await spec(first.driver));
      await serving(info);
      const handle = first.driver.get(info.id)?.handle as InstanceHandle;
      await first.driver.stop(info.id, { graceMs: 5_000 });
      const { driver } = await newDriver(first.dataDir);
      expect(await driver.adopt([{ spec: info.spec, handle, port: info.port, restarts: 0 }])).toEqual([]);
      expect(driver.list()).toEqual([]);
    });

    test('orphans: removes what no record claims, nothing else', async () => {
      const first = await newDriver();
      const kept = await first.driver.start(await spec(first.driver));
      const orphan = await first.driver.start(await spec(first.driver));
      const stranger = await newDriver();
      const theirs = await stranger.driver.start(await spec(stranger.driver));
      await Promise.all([kept, orphan, theirs].map(serving));
      await first.driver.close({ stopInstances: false, graceMs: 1_000 });

      const { driver } = await newDriver(first.dataDir);
      expect(await driver.removeOrphans(new Set([kept.id]), 5_000)).toEqual([orphan.id]);
      await refused(orphan);
      expect((await get(kept, '/')).status).toBe(200);
      expect((await get(theirs, '/')).status).toBe(200);
      expect(await driver.removeOrphans(new Set([kept.id]), 5_000)).toEqual([]);
    });

    test('output: stdout and stderr lines in events and recentLogs', async () => {
      const { driver } = await newDriver();
      const events = new Events(driver);
      const info = await driver.start(await spec(driver));
      await serving(info);
      await get(info, '/write?text=first');
      await get(info, '/write?text=second&stream=stderr');
      await get(info, '/write?text=third');
      await waitFor('three lines', () => events.lines(info.id).includes('third'));
      await waitFor('the stderr line', () => events.lines(info.id).includes('second'));
      const recent = driver.recentLogs(info.id);
      const pick = (l: { line: string }) => ['first', 'second', 'third'].includes(l.line);
      expect(recent.filter(pick).map((l) => [l.stream, l.line])).toEqual([
        ['stdout', 'first'],
        ['stderr', 'second'],
        ['stdout', 'third'],
      ]);
      expect(driver.recentLogs(info.id, 1)).toHaveLength(1);
    });

    test('stats: memory while running, CPU from the second reading, nothing once stopped', async () => {
      const { driver } = await newDriver();
      const info = await driver.start(await spec(driver));
      await serving(info);
      const first = await driver.stats(info.id);
      expect(first?.memoryBytes).toBeGreaterThan(1024 * 1024);
      await get(info, '/burn?ms=300');
      const second = await waitFor('a CPU figure', async () => {
        const s = await driver.stats(info.id);
        return s?.cpuPercent != null && s;
      });
      expect(second.cpuPercent).toBeGreaterThanOrEqual(0);
      await driver.stop(info.id, { graceMs: 5_000 });
      expect(await driver.stats(info.id)).toBeUndefined();
      expect(await driver.stats('ct-unknown')).toBeUndefined();
    });

    test('state: relative files are private to each instance', async () => {
      const { driver } = await newDriver();
      const envs = await tempDir('env');
      const staging = await driver.start(await spec(driver, { dataDir: join(envs, 'staging') }));
      const production = await driver.start(
        await spec(driver, { environment: 'production', dataDir: join(envs, 'production') }),
      );
      await Promise.all([serving(staging), serving(production)]);
      expect((await get(staging, '/file?name=state.txt&text=staging')).status).toBe(200);
      expect((await get(production, '/file?name=state.txt')).status).toBe(404);
      expect((await get(production, '/file?name=state.txt&text=production')).status).toBe(200);
      expect((await get(staging, '/file?name=state.txt')).body).toBe('staging');
      expect((await get(production, '/file?name=state.txt')).body).toBe('production');
      // A new instance of the same version starts from the artifact as uploaded.
      const fresh = await driver.start(await spec(driver, { dataDir: join(envs, 'staging') }));
      await serving(fresh);
      expect((await get(fresh, '/file?name=state.txt')).status).toBe(404);
    });

    test('state: the data directory is per environment and survives versions', async () => {
      const { driver } = await newDriver();
      const envs = await tempDir('env');
      const v1 = await driver.start(await spec(driver, { dataDir: join(envs, 'staging') }));
      const prod = await driver.start(
        await spec(driver, { environment: 'production', dataDir: join(envs, 'production') }),
      );
      await Promise.all([serving(v1), serving(prod)]);
      expect((await get(v1, '/data?name=kept.txt&text=from-v1')).status).toBe(200);
      expect((await get(prod, '/data?name=kept.txt')).status).toBe(404);
      await driver.stop(v1.id, { graceMs: 5_000 });

      const v2 = await driver.start(await spec(driver, { version: 'v2', dataDir: join(envs, 'staging') }));
      await serving(v2);
      expect((await get(v2, '/data?name=kept.txt')).body).toBe('from-v1');
    });
  });
}

interface Reply {
  status: number;
  body: string;
}

function get(i: Pick<InstanceInfo, 'host' | 'port'>, path: string, timeoutMs = 5_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: i.host, port: i.port, path, timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function poll<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

class Events {
  readonly events: RuntimeEvent[] = [];

  constructor(driver: WorkloadDriver) {
    driver.subscribe((e) => this.events.push(e));
  }

  of<K extends RuntimeEvent['type']>(type: K, id: string): Extract<RuntimeEvent, { type: K }>[] {
    return this.events.filter(
      (e): e is Extract<RuntimeEvent, { type: K }> =>
        e.type === type && (e.type === 'log' ? e.instanceId : e.instance.id) === id,
    );
  }

  lines(id: string): string[] {
    return this.of('log', id).map((e) => e.line.line);
  }
}
