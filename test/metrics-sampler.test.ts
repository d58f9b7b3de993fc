// The process sampler against a real child process group: a shell whose child burns CPU and holds
// 96 MB, read from /proc and fed into a real engine.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import type { InstanceSample } from '../src/metrics/instance-samples.ts';
import { createProcessSampler } from '../src/metrics/process-sampler.ts';
import { requirePeer, startPeer, stopPeers } from './helpers/peers.ts';

const proc = requirePeer('/proc', existsSync('/proc/self/stat'), 'no /proc filesystem (Linux only)');

const HOLD_BYTES = 96 * 1024 * 1024;
// Touches every page of the buffer (so it is resident), says so, then spins.
const BURNER = `const b = Buffer.alloc(${HOLD_BYTES}, 1); console.log('ready', b.length); for (;;) {}`;

afterEach(() => stopPeers());

describe.skipIf(proc === 'skip')('process sampler', () => {
  it('reports CPU and resident memory summed over the instance’s process group', async () => {
    // `; true` keeps the shell alive as the group's leader, with node as a separate member.
    const shell = startPeer(['/bin/sh', '-c', `"${process.execPath}" -e "${BURNER}"; true`], {
      env: process.env,
    });
    await shell.waitFor('the burner to allocate', () =>
      shell.stdout.some((l) => l.startsWith('ready')) ? true : undefined,
    );
    const pid = shell.child.pid as number;

    const engine = createMetricsEngine({ service: 'shop' });
    const samples: InstanceSample[] = [];
    const sampler = createProcessSampler({
      onSample: (s) => {
        samples.push(s);
        engine.setInstanceSample(s);
      },
    });
    sampler.track([
      { instanceId: 'production-v1-a', environment: 'production', version: 'v1', pid, restarts: 2 },
    ]);
    await sampler.sample();
    expect(samples[0]).toMatchObject({ instanceId: 'production-v1-a', cpu: null, restarts: 2 });
    expect(samples[0]?.rssBytes).toBeGreaterThan(HOLD_BYTES * 0.9);

    // A spinning process uses about one core; on a loaded machine it gets less, but not nothing.
    await shell.waitFor('a sample with CPU use', async () => {
      await new Promise((r) => setTimeout(r, 250));
      await sampler.sample();
      const cpu = samples.at(-1)?.cpu ?? 0;
      return cpu > 0.1 ? cpu : undefined;
    });
    const last = samples.at(-1) as InstanceSample;
    expect(last.cpu).toBeLessThan(1.5);

    const now = Date.now();
    const q = { environment: 'production', from: now - 60_000, to: now + 1000, step: 60_000 };
    const [memory] = await engine.query({ ...q, metric: 'instance_memory' });
    expect(memory?.points.at(-1)?.[1]).toBeGreaterThan(HOLD_BYTES * 0.9);
    const [cpu] = await engine.query({ ...q, metric: 'instance_cpu' });
    expect(cpu?.version).toBe('v1');
    expect(cpu?.points.at(-1)?.[1]).toBeGreaterThan(0);
  });

  it('reports nothing for a process that is gone, and forgets untracked instances', async () => {
    const short = startPeer(['/bin/sh', '-c', 'exit 0'], { env: process.env });
    await short.waitForExit();
    const samples: InstanceSample[] = [];
    const sampler = createProcessSampler({ onSample: (s) => samples.push(s) });
    sampler.track([
      { instanceId: 'gone', environment: 'production', version: 'v1', pid: short.child.pid as number },
    ]);
    await sampler.sample();
    sampler.track([]);
    await sampler.sample();
    expect(samples).toEqual([]);
  });

  it('reads the instances to sample from a list function when given one', async () => {
    const samples: InstanceSample[] = [];
    const leader = startPeer(['/bin/sh', '-c', 'sleep 30'], { env: process.env });
    const pid = leader.child.pid as number;
    const listed = createProcessSampler({
      onSample: (s) => samples.push(s),
      list: () => [{ instanceId: 'sleeper', environment: 'staging', version: 'v3', pid }],
    });
    await listed.sample();
    expect(samples).toMatchObject([
      { instanceId: 'sleeper', environment: 'staging', version: 'v3', cpu: null },
    ]);
    expect(samples[0]?.rssBytes).toBeGreaterThan(0);
  });
});
