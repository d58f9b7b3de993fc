// How fast a bad canary is taken out of traffic, measured from outside with a fixed-rate load:
//  - a canary answering 100 % 5xx: time from its first request to traffic fully back on stable,
//    and the share of all requests that failed;
//  - a canary 300 ms slower and error-free: time from its first request to the rollback decision.
// Gantry runs as its own process (as in production); the load comes from this one.
//   npm run bench:canary [-- --rate 200 --runs 3]
import { parseArgs } from 'node:util';
import type { ReleaseDetailResponse } from '../src/api/types.ts';
import {
  ApiClient,
  ChildServer,
  helloBuild,
  sleep,
  startPacedLoad,
  tempDir,
  writeHelloConfig,
} from '../test/helpers/gantry.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const runs = Number(values.runs);
const WEIGHT = 10;

const tmp = await tempDir('gantry-bench-canary-');
const cfg = await writeHelloConfig(tmp.dir, {
  stagingInstances: 2,
  staging: `    strategy:
      canary:
        steps: [{ weight: ${WEIGHT}, pause: 30s }, { weight: 100 }]
        analysis: { interval: 2s, min_requests: 50, max_error_rate: 1%, max_p99_latency: 200ms, compare: baseline }`,
});
const server = new ChildServer({ config: cfg.file, dataDir: `${tmp.dir}/data` });
const api = new ApiClient(await server.start());
await api.upload('stable', await helloBuild(tmp.dir, 'stable'));
await api.upload('bad', await helloBuild(tmp.dir, 'bad', { error_rate: 1 }));
await api.upload('slow', await helloBuild(tmp.dir, 'slow', { latency_ms: 300 }));
await api.waitRelease((await api.deploy('staging', 'stable')).id);

interface Run {
  kind: 'hard-5xx' | 'latency+300ms';
  backOnStableMs: number;
  failed: number;
  total: number;
  state: string;
}

async function measure(kind: Run['kind'], version: string): Promise<Run> {
  const load = startPacedLoad(cfg.ports.staging, rate);
  await sleep(1500);
  const rel = await api.deploy('staging', version);
  const done: ReleaseDetailResponse = await api.waitRelease(rel.id, 120_000);
  await sleep(1500);
  const samples = await load.stop();
  const canary = samples.filter((s) => (kind === 'hard-5xx' ? s.status === 500 : s.version === version));
  const first = Math.min(...canary.map((s) => s.start));
  const last = Math.max(...canary.map((s) => s.start));
  const rollbackAt = Date.parse(
    done.events.find((e) => e.state === 'rolling_back')?.at ?? done.release.updatedAt,
  );
  return {
    kind,
    // Hard failure: the last request that still reached the canary. Latency: the decision itself.
    backOnStableMs: kind === 'hard-5xx' ? last - first : rollbackAt - first,
    failed: samples.filter((s) => s.status !== 200).length,
    total: samples.length,
    state: done.release.state,
  };
}

const results: Run[] = [];
try {
  for (let i = 0; i < runs; i++) {
    results.push(await measure('hard-5xx', 'bad'));
    results.push(await measure('latency+300ms', 'slow'));
  }
} finally {
  await server.stop();
  await tmp.cleanup();
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ rate, weight: WEIGHT, results })}\n`);
} else {
  console.log(`Canary rollback at ${rate} req/s, canary weight ${WEIGHT} %, ${runs} run(s) each`);
  console.log('scenario         state         to stable   failed requests');
  for (const r of results) {
    console.log(
      `${r.kind.padEnd(16)} ${r.state.padEnd(13)} ${`${(r.backOnStableMs / 1000).toFixed(2)} s`.padStart(9)}   ${r.failed}/${r.total} (${((100 * r.failed) / r.total).toFixed(2)} %)`,
    );
  }
  const hard = results.filter((r) => r.kind === 'hard-5xx');
  const worst = Math.max(...hard.map((r) => r.backOnStableMs));
  const allowed = (WEIGHT / 100) * rate * 3;
  const worstFailed = Math.max(...hard.map((r) => r.failed));
  console.log(
    `hard failure, worst run: ${(worst / 1000).toFixed(2)} s to stable   budget <= 3 s   ${worst <= 3000 ? 'PASS' : 'FAIL'}`,
  );
  console.log(
    `failed requests, worst run: ${worstFailed}   budget <= weight x 3 s = ${allowed}   ${worstFailed <= allowed ? 'PASS' : 'FAIL'}`,
  );
}
