// The instance sampler against a real instance of the process driver: a shell whose child burns CPU
// and holds 96 MB, measured by the driver's stats (summed over the process group) and fed into a
// real engine.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { createInstanceSampler } from '../src/metrics/instance-sampler.ts';
import type { InstanceSample } from '../src/metrics/instance-samples.ts';
import { createProcessDriver, type WorkloadDriver } from '../src/runtime/index.ts';
import { EventRecorder, makeSpec, makeTempDir } from './fixtures/services/rt-harness.ts';
import { requirePeer } from './helpers/peers.ts';

const proc = requirePeer('/proc', existsSync('/proc/self/stat'), 'no /proc filesystem (Linux only)');

const HOLD_BYTES = 96 * 1024 * 1024;
// Touches every page of the buffer (so it is resident), says so, then spins.
const BURNER = `const b = Buffer.alloc(${HOLD_BYTES}, 1); console.log('ready', b.length); for (;;) {}`;

let dirs: Array<{ remove: () => Promise<void> }>;
let driver: WorkloadDriver;

beforeEach(async () => {
  const data = await makeTempDir('sampler-data');
  dirs = [data];
  driver = createProcessDriver({ dataDir: data.path });
});

afterEach(async () => {
  await driver.close({ stopInstances: true, graceMs: 2_000 });
  for (const d of dirs) await d.remove();
});

async function burnerApp(): Promise<string> {
  const app = await makeTempDir('sampler-app');
  dirs.push(app);
  await writeFile(join(app.path, 'burner.js'), BURNER);
  return app.path;
}

describe.skipIf(proc === 'skip')('instance sampler', () => {
  it('reports CPU and resident memory summed over the instance’s process group', async () => {
    // `; true` keeps the shell alive as the group's leader, with node as a separate member.
    const spec = makeSpec(await burnerApp(), { command: `node burner.js; true` });
    const events = new EventRecorder(driver);
    await driver.start(spec);
    await events.waitForLine(spec.id, /^ready/);

    const engine = createMetricsEngine({ service: 'shop' });
    const samples: InstanceSample[] = [];
    const sampler = createInstanceSampler({
      onSample: (s) => {
        samples.push(s);
        engine.setInstanceSample(s);
      },
      list: () => [{ instanceId: spec.id, environment: 'production', version: 'v1', restarts: 2 }],
      measure: (id) => driver.stats(id),
    });
    await sampler.sample();
    expect(samples[0]).toMatchObject({ instanceId: spec.id, cpu: null, restarts: 2 });
    expect(samples[0]?.rssBytes).toBeGreaterThan(HOLD_BYTES * 0.9);

    // A spinning process uses about one core; on a loaded machine it gets less, but not nothing.
    const deadline = Date.now() + 20_000;
    while ((samples.at(-1)?.cpu ?? 0) <= 0.1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      await sampler.sample();
    }
    const last = samples.at(-1) as InstanceSample;
    expect(last.cpu).toBeGreaterThan(0.1);
    expect(last.cpu).toBeLessThan(1.5);

    const now = Date.now();
    const q = { environment: 'production', from: now - 60_000, to: now + 1000, step: 60_000 };
    const [memory] = await engine.query({ ...q, metric: 'instance_memory' });
    expect(memory?.points.at(-1)?.[1]).toBeGreaterThan(HOLD_BYTES * 0.9);
    const [cpu] = await engine.query({ ...q, metric: 'instance_cpu' });
    expect(cpu?.version).toBe('v1');
    expect(cpu?.points.at(-1)?.[1]).toBeGreaterThan(0);
  });

  it('reports nothing for an instance that is not running, or unknown', async () => {
    const spec = makeSpec(await burnerApp(), { command: 'exit 0' });
    await driver.start(spec);
    await driver.stop(spec.id, { graceMs: 1_000 });
    const samples: InstanceSample[] = [];
    const sampler = createInstanceSampler({
      onSample: (s) => samples.push(s),
      list: () => [
        { instanceId: spec.id, environment: 'production', version: 'v1' },
        { instanceId: 'unknown', environment: 'production', version: 'v1' },
      ],
      measure: (id) => driver.stats(id),
    });
    await sampler.sample();
    expect(samples).toEqual([]);
  });
});
