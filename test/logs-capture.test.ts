// A real service run by the process runtime prints JSON and plain lines on stdout and stderr; they
// are captured, parsed and stored. Log patterns are counted as metrics and an alarm fires on them.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlarmEngine } from '../src/alarms/index.ts';
import { EVALUATION_GRACE_MS } from '../src/alarms/rules.ts';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { parseConfig } from '../src/config/index.ts';
import { MAX_STORED_LINE_BYTES } from '../src/logs/cut-line.ts';
import { captureRuntimeLogs, createLogService } from '../src/logs/index.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { createProcessDriver, type WorkloadDriver } from '../src/runtime/index.ts';
import { makeSpec, waitFor } from './fixtures/services/rt-harness.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();
const drivers: WorkloadDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close({ stopInstances: true, graceMs: 2000 })));
});

const SERVICE = `
const secret = process.env.API_KEY;
console.log(JSON.stringify({ level: 30, time: Date.now(), msg: 'started', port: Number(process.env.PORT) }));
console.error('ERROR payment failed for order 42');
console.log('level=warn msg="slow payment" order=43 key=' + secret);
console.log('plain line with token ' + secret);
setInterval(() => {}, 1000);
`;

function config(dir: string) {
  return parseConfig(
    `service: shop
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:18080 }
alarms:
  - { name: payments, environment: production, metric: "log_matches:payment-errors", above: 2, period: 10s }
logs:
  patterns:
    - { name: payment-errors, environment: production, match: "payment failed" }
    - { name: orders, match: "order [0-9]+", regex: true }
`,
    `${dir}/gantry.yaml`,
  );
}

describe('capture of a real service', () => {
  it('stores its JSON, logfmt and plain lines from stdout and stderr, parsed and redacted', async () => {
    const dir = fixture.dir();
    // The artifact beside the driver's data directory, as in a server (a copy cannot go inside itself).
    await mkdir(`${dir}/app`);
    await writeFile(`${dir}/app/server.mjs`, SERVICE);
    const store = await fixture.open(`${dir}/gantry.db`);
    const cfg = config(dir);
    const secret = 'key-0123456789abcdef';
    const logs = createLogService({ config: () => cfg, store, redact: () => [secret] });
    await logs.start();
    const driver = createProcessDriver({ dataDir: `${dir}/data` });
    drivers.push(driver);
    captureRuntimeLogs(driver, logs);
    const spec = makeSpec(`${dir}/app`, {
      id: 'production-v2-ab12',
      environment: 'production',
      version: 'v2',
      command: 'node server.mjs',
      env: { ...makeSpec(dir).env, API_KEY: secret },
    });
    await driver.start(spec);
    const lines = await waitFor('four stored lines', async () => {
      await logs.flush();
      const found = await logs.search({ environment: 'production', limit: 10 });
      return found.length >= 4 ? found.reverse() : undefined;
    });
    const byMessage = Object.fromEntries(lines.map((l) => [l.message, l]));
    expect(byMessage.started).toMatchObject({
      version: 'v2',
      instance: 'production-v2-ab12',
      stream: 'stdout',
      level: 'info',
      fields: { port: expect.any(Number) },
    });
    expect(byMessage['payment failed for order 42']).toMatchObject({ stream: 'stderr', level: 'error' });
    expect(byMessage['slow payment']).toMatchObject({
      level: 'warn',
      fields: { order: 43, key: '[redacted]' },
    });
    expect(byMessage['plain line with token [redacted]']).toMatchObject({ level: null, fields: null });
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect((await logs.search({ q: 'payment', level: 'error', limit: 10 })).map((l) => l.instance)).toEqual([
      'production-v2-ab12',
    ]);
    await logs.stop();
  });
});

describe('secrets in captured output', () => {
  it('are masked before a long line is cut, and do not stay in the raw output file once read', async () => {
    const dir = fixture.dir();
    const secret = 'S3cr3t-0123456789abcdef';
    // The 16 KiB cut falls inside the secret: cut first, "S3cr" was stored. The artifact sits
    // beside the driver's data directory, as in a server (a copy cannot go inside itself).
    await mkdir(`${dir}/app`);
    await writeFile(
      `${dir}/app/server.mjs`,
      `console.log('A'.repeat(${MAX_STORED_LINE_BYTES - 4}) + process.env.API_KEY + ' end');
console.log('short line with ' + process.env.API_KEY);
setInterval(() => {}, 1000);
`,
    );
    const store = await fixture.open(`${dir}/gantry.db`);
    const logs = createLogService({ config: () => config(dir), store, redact: () => [secret] });
    await logs.start();
    const driver = createProcessDriver({ dataDir: `${dir}/data` });
    drivers.push(driver);
    captureRuntimeLogs(driver, logs);
    const spec = makeSpec(`${dir}/app`, {
      id: 'production-v3-cd34',
      environment: 'production',
      version: 'v3',
      command: 'node server.mjs',
      env: { ...makeSpec(dir).env, API_KEY: secret },
    });
    await driver.start(spec);
    const lines = await waitFor('two stored lines', async () => {
      await logs.flush();
      const found = await logs.search({ environment: 'production', limit: 10 });
      return found.length >= 2 ? found.reverse() : undefined;
    });
    const long = lines[0]?.raw ?? '';
    expect(Buffer.byteLength(long)).toBe(MAX_STORED_LINE_BYTES);
    expect(long.slice(MAX_STORED_LINE_BYTES - 4)).toBe('[red');
    expect(lines[1]?.raw).toBe('short line with [redacted]');
    expect(JSON.stringify(lines)).not.toContain('S3cr');

    // The raw file the service writes is private, and what was read is overwritten.
    const file = `${dir}/data/instances/production-v3-cd34/stdout.log`;
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const raw = await readFile(file);
    expect(raw.length).toBeGreaterThan(MAX_STORED_LINE_BYTES);
    expect(raw.toString('latin1')).not.toContain('S3cr');
    expect(raw.every((b) => b === 0)).toBe(true);
    await logs.stop();
  });
});

describe('log patterns as metrics', () => {
  it('counts matches per second, reads them as log_matches:<name>, and an alarm fires on them', async () => {
    const dir = fixture.dir();
    const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
    let now = T0;
    // Timers never fire by themselves: the test moves time and calls tick().
    const clock = {
      now: () => now,
      sleep: (_ms: number, signal?: AbortSignal) =>
        new Promise<void>((_resolve, reject) => {
          if (signal?.aborted) return reject(signal.reason);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    };
    const store = await fixture.open(`${dir}/gantry.db`);
    const cfg = config(dir);
    const logs = createLogService({ config: () => cfg, store, redact: () => [], clock });
    await logs.start();
    const ingest = (at: number, line: string, environment = 'production') =>
      logs.ingest({ at, environment, version: 'v1', instance: 'i1', stream: 'stdout', line });

    ingest(T0 + 1000, 'ERROR payment failed for order 1');
    ingest(T0 + 1500, 'ERROR payment failed for order 2');
    ingest(T0 + 2000, 'payment failed');
    ingest(T0 + 2000, 'payment failed', 'staging'); // pattern is for production only
    ingest(T0 + 12_000, 'all good for order 3');
    const dp = (metric: string, from: number, to: number, environment = 'production') =>
      logs.metrics.datapoint({ metric, environment, from, to });
    expect(dp('log_matches:payment-errors', T0, T0 + 10_000)).toBe(3);
    expect(dp('log_matches:payment-errors', T0, T0 + 10_000, 'staging')).toBe(0);
    expect(dp('log_matches:payment-errors', T0 + 10_000, T0 + 20_000)).toBe(0);
    expect(dp('log_matches:orders', T0, T0 + 20_000)).toBe(3);
    expect(dp('log_matches:payment-errors', T0 - 10_000, T0)).toBeNull(); // before counting began
    expect(dp('log_matches:unknown', T0, T0 + 10_000)).toBeUndefined();
    expect(dp('http_requests', T0, T0 + 10_000)).toBeUndefined();

    const metrics = createMetricsEngine({ service: 'shop', clock });
    const engine = createAlarmEngine({
      config: () => cfg,
      metrics,
      store,
      clock,
      extraMetrics: logs.metrics,
    });
    const seen: AlarmTransition[] = [];
    engine.subscribe((t) => seen.push(t));
    await engine.start();
    now = T0 + 10_000 + EVALUATION_GRACE_MS;
    await engine.tick();
    const t = await waitFor('the alarm transition', () => seen[0], 10_000);
    expect(t).toMatchObject({
      alarm: 'payments',
      metric: 'log_matches:payment-errors',
      to: 'ALARM',
      datapoints: [3],
    });
    await engine.stop();
    await logs.stop();
  });
});

describe('the output of a crash', () => {
  const CRASHER = `
const { readFileSync } = require('node:fs');
console.log('plain stdout line');
console.error('INFO loading storage');
console.error('stderr note before the crash');
if (process.argv[2] === 'crash') readFileSync(__filename + '/storage/config.yaml');
setTimeout(() => process.exit(0), 50);
`;

  async function runOnce(dir: string, arg: 'crash' | 'clean') {
    const store = await fixture.open(`${dir}/gantry.db`);
    const cfg = config(dir);
    const logs = createLogService({ config: () => cfg, store, redact: () => [] });
    await logs.start();
    const driver = createProcessDriver({ dataDir: `${dir}/data` });
    drivers.push(driver);
    captureRuntimeLogs(driver, logs);
    const id = `production-${arg}-0001`;
    await mkdir(`${dir}/app`);
    await writeFile(`${dir}/app/crasher.cjs`, CRASHER);
    await driver.start(
      makeSpec(`${dir}/app`, {
        id,
        environment: 'production',
        version: arg,
        command: `node crasher.cjs ${arg}`,
      }),
    );
    return { logs, id };
  }

  it("gives error to a crashed process's unlevelled stderr, so --level error finds the cause", async () => {
    const { logs, id } = await runOnce(fixture.dir(), 'crash');
    const errors = await waitFor('the crash output as errors', async () => {
      await logs.flush();
      const found = await logs.search({ instance: id, level: 'error', limit: 50 });
      // The stack's lines have no level of their own: only the crash rule makes them errors.
      return found.some((l) => /^\s+at /.test(l.raw)) ? found : undefined;
    });
    const raws = errors.map((l) => l.raw);
    expect(raws.some((r) => /^Error: ENOTDIR: not a directory/.test(r))).toBe(true);
    expect(raws.some((r) => /^\s+at /.test(r))).toBe(true);
    expect(raws).toContain('stderr note before the crash');
    expect(errors.every((l) => l.stream === 'stderr')).toBe(true);
    const all = await logs.search({ instance: id, limit: 200 });
    // A line with a level of its own keeps it; stdout is not judged.
    expect(all.find((l) => l.raw === 'INFO loading storage')?.level).toBe('info');
    expect(all.find((l) => l.raw === 'plain stdout line')?.level).toBeNull();
  });

  it('leaves the stderr of a process that exits 0 without a level', async () => {
    const { logs, id } = await runOnce(fixture.dir(), 'clean');
    const line = await waitFor('the stderr note', async () => {
      await logs.flush();
      return (await logs.search({ instance: id, limit: 50 })).find(
        (l) => l.raw === 'stderr note before the crash',
      );
    });
    await new Promise((r) => setTimeout(r, 500));
    await logs.flush();
    const again = await logs.search({ instance: id, limit: 50 });
    expect(again.find((l) => l.id === line.id)?.level).toBeNull();
  });
});
