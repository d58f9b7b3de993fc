// What running versions as containers costs next to processes ("container version:
// deploy → traffic switched ≤ 2 s plus the service's own start time"), same service, same run:
//  - deploy → switched: from POST /api/v1/releases to the first answer of the new version through
//    the proxy (polled every 10 ms), for a process version and for an image version (a new tag
//    in the loopback registry each time, so each release pulls it);
//  - idle overhead: CPU of the server process over a quiet window with N instances running, where
//    the docker runtime keeps one attach stream (logs) per container and samples the engine's stats.
// Needs Podman, runc and docker-registry (test/helpers/podman.ts); nothing leaves loopback.
//  --instances N: instances per release (started together); --interval: readiness.interval (50ms;
//  gantry.yaml's default is 2s, and how fast a starting instance is noticed depends on it).
//   npm run bench:containers [-- --runs 3 --idle 10 --window 20 --instances 1 --interval 50ms]
//   (BENCH_EVENTS=1: each release's timeline)
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ApiClient,
  ChildServer,
  freePort,
  hit,
  repoRoot,
  sleep,
  tempDir,
  waitFor,
} from '../test/helpers/gantry.ts';
import { IMAGE_APP_DIR, IMAGE_NODE, PodmanPeer } from '../test/helpers/podman.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    idle: { type: 'string', default: '10' },
    window: { type: 'string', default: '20' },
    instances: { type: 'string', default: '1' },
    interval: { type: 'string', default: '50ms' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const idleInstances = Number(values.idle);
const windowS = Number(values.window);
const releaseInstances = Number(values.instances);
const SERVICE = path.join(repoRoot, 'test/fixtures/images/image-service.mjs');

const tmp = await tempDir('gantry-bench-containers-');
const peer = await PodmanPeer.start();

function config(kind: 'process' | 'docker', port: number, instances: number): string {
  const run =
    kind === 'docker'
      ? `runtime:\n  docker: { host: ${peer.dockerHost}, network: bridge }\nrun:\n  image: ${peer.registry}/bench\n  port: 8000\n`
      : `run:\n  command: node server.mjs\n  env: { PATH: "${path.dirname(process.execPath)}:/usr/bin:/bin" }\n`;
  return `service: bench
${run}  stop_timeout: 3s
  drain_timeout: 2s
health:
  readiness: { path: /health, interval: ${values.interval}, timeout: 1s, failure_threshold: 2 }
  startup_timeout: 30s
environments:
  staging:
    listen: 127.0.0.1:${port}
    instances: ${instances}
    strategy: rolling
`;
}

async function serverFor(kind: 'process' | 'docker', instances: number) {
  const dir = path.join(tmp.dir, `${kind}-${instances}`);
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  await writeFile(path.join(dir, 'gantry.yaml'), config(kind, port, instances));
  const server = new ChildServer({ config: path.join(dir, 'gantry.yaml'), dataDir: path.join(dir, 'data') });
  const api = new ApiClient(await server.start());
  return { server, api, port, dir };
}

/** A version of the service: a directory for processes, a new tag in the registry for images. */
async function prepare(kind: 'process' | 'docker', api: ApiClient, dir: string, version: string) {
  if (kind === 'docker') {
    await peer.buildImage({
      name: 'bench',
      tag: version,
      env: { APP_VERSION: version },
      cmd: [IMAGE_NODE, `${IMAGE_APP_DIR}/image-service.mjs`],
    });
    return;
  }
  const app = path.join(dir, `app-${version}`);
  await mkdir(app, { recursive: true });
  await writeFile(path.join(app, 'image-service.mjs'), readFileSync(SERVICE));
  await writeFile(
    path.join(app, 'server.mjs'),
    `process.env.APP_VERSION = ${JSON.stringify(version)};\nawait import('./image-service.mjs');\n`,
  );
  const r = await api.upload(version, app);
  if (r.status !== 201) throw new Error(`upload ${version}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** POST the release, then poll the proxy until the new version answers. */
async function deployToSwitch(
  api: ApiClient,
  port: number,
  version: string,
): Promise<{ switchMs: number; doneMs: number }> {
  const began = performance.now();
  const r = await api.call<{ release: { id: string } }>('POST', '/api/v1/releases', {
    environment: 'staging',
    version,
  });
  if (r.status !== 201) throw new Error(`release ${version}: ${r.status} ${JSON.stringify(r.body)}`);
  let switchMs = Number.NaN;
  for (const deadline = began + 120_000; performance.now() < deadline; await sleep(10)) {
    const answer = await hit(port).catch(() => undefined);
    if (answer?.version === version) {
      switchMs = performance.now() - began;
      break;
    }
  }
  const done = await api.waitRelease(r.body.release.id, 120_000);
  if (process.env.BENCH_EVENTS) {
    const t0 = Date.parse(done.release.createdAt ?? '') || 0;
    for (const e of done.events)
      console.log(`  +${Date.parse(e.at) - t0} ms ${e.type} ${JSON.stringify(e.data).slice(0, 120)}`);
  }
  if (done.release.state !== 'succeeded') throw new Error(`release ${version}: ${done.release.state}`);
  return { switchMs, doneMs: performance.now() - began };
}

/** Share of one core the server process used over `seconds` (from /proc/<pid>/stat). */
async function serverCpu(server: ChildServer, seconds: number): Promise<number> {
  const pid = server.proc?.pid as number;
  const ticks = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  };
  const t0 = ticks();
  const w0 = performance.now();
  await sleep(seconds * 1000);
  return ((ticks() - t0) / 100 / ((performance.now() - w0) / 1000)) * 100;
}

/** Stops the server and what it runs (a stopped server leaves instances running for adoption). */
async function stopAll(server: ChildServer, api: ApiClient): Promise<void> {
  const pids = (await api.status()).environments
    .flatMap((e) => e.instances)
    .map((i) => i.handle?.pid)
    .filter((pid): pid is number => typeof pid === 'number');
  await server.stop();
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    }
  }
  await peer.podman(['rm', '-a', '-f', '-t', '1']);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const results: Record<string, unknown> = {};

try {
  for (const kind of ['process', 'docker'] as const) {
    const { server, api, port, dir } = await serverFor(kind, releaseInstances);
    await prepare(kind, api, dir, 'v0');
    await deployToSwitch(api, port, 'v0');
    const switches: number[] = [];
    const dones: number[] = [];
    for (let i = 1; i <= runs; i++) {
      await prepare(kind, api, dir, `v${i}`);
      const m = await deployToSwitch(api, port, `v${i}`);
      switches.push(m.switchMs);
      dones.push(m.doneMs);
    }
    results[`${kind}.deployToSwitchMs`] = switches.map(Math.round);
    results[`${kind}.deployToSucceededMs`] = dones.map(Math.round);
    console.log(
      `${kind.padEnd(7)} ${releaseInstances} instance(s), readiness every ${values.interval}: deploy → switched: median ${median(switches).toFixed(0)} ms ` +
        `(runs ${switches.map((x) => x.toFixed(0)).join(', ')}); release succeeded: median ${median(dones).toFixed(0)} ms`,
    );
    await stopAll(server, api);
  }

  for (const kind of ['process', 'docker'] as const) {
    const { server, api, port, dir } = await serverFor(kind, idleInstances);
    await prepare(kind, api, dir, 'idle');
    await deployToSwitch(api, port, 'idle');
    await waitFor(
      `${idleInstances} instances ready`,
      async () => {
        const ready = (await api.status()).environments.flatMap((e) => e.instances).filter((i) => i.ready);
        return ready.length === idleInstances;
      },
      60_000,
    );
    await sleep(2000);
    const cpu = await serverCpu(server, windowS);
    results[`${kind}.idleServerCpuPercent`] = Number(cpu.toFixed(2));
    console.log(
      `${kind.padEnd(7)} server CPU with ${idleInstances} idle instances over ${windowS} s: ${cpu.toFixed(2)} % of a core ` +
        `(${(cpu / idleInstances).toFixed(3)} % per instance)`,
    );
    await stopAll(server, api);
  }
} finally {
  await peer.close();
  await tmp.cleanup();
}
if (values.json) console.log(JSON.stringify(results));
