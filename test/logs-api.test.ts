// The logs API on a real fastify server listening on port 0: search with filters and clear 400s,
// secrets never in its output, the live tail over Server-Sent Events (followed by the CLI's code,
// resuming after a dropped connection), and `gantry logs` printing lines.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerLogRoutes } from '../src/api/logs-routes.ts';
import { GantryClient } from '../src/cli/client.ts';
import { followLogs } from '../src/cli/commands/logs.ts';
import { runCli } from '../src/cli/program.ts';
import { parseConfig } from '../src/config/index.ts';
import { type CapturedLine, createLogService, type LogLineView, type LogService } from '../src/logs/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();
const apps: FastifyInstance[] = [];
const services: LogService[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

const SECRET = 'pa55w0rd-from-secrets';

async function setup(): Promise<{ url: string; logs: LogService }> {
  const dir = fixture.dir();
  const store = await fixture.open(`${dir}/gantry.db`);
  const cfg = parseConfig(
    'service: shop\nrun: { command: node server.js }\nenvironments:\n  production: { listen: 127.0.0.1:18080 }\n',
    `${dir}/gantry.yaml`,
  );
  const logs = createLogService({ config: () => cfg, store, redact: () => [SECRET] });
  services.push(logs);
  await logs.start();
  const app = Fastify();
  apps.push(app);
  registerLogRoutes(app, { logs });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, logs };
}

function line(text: string, over: Partial<CapturedLine> = {}): CapturedLine {
  return {
    at: Date.now(),
    environment: 'production',
    version: 'v2',
    instance: 'production-v2-ab12',
    stream: 'stdout',
    line: text,
    ...over,
  };
}

interface Answer {
  lines: LogLineView[];
  error: { code: string; message: string };
}

async function getJson(url: string): Promise<{ status: number; body: Answer }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Answer };
}

describe('GET /api/v1/logs', () => {
  it('searches with filters, shows LogLineViews, never a secret, and answers 400 to bad input', async () => {
    const { url, logs } = await setup();
    logs.ingest(line(`{"level":50,"msg":"payment failed","order":42,"auth":"${SECRET}"}`));
    logs.ingest(line('INFO all fine'));
    logs.ingest(line('ERROR payment failed elsewhere', { environment: 'staging' }));
    await logs.flush();

    const res = await getJson(`${url}/api/v1/logs?environment=production&q=payment&level=error&since=10m`);
    expect(res.status).toBe(200);
    expect(res.body.lines).toHaveLength(1);
    const v = res.body.lines[0] as LogLineView;
    expect(v).toMatchObject({
      environment: 'production',
      version: 'v2',
      instance: 'production-v2-ab12',
      stream: 'stdout',
      level: 'error',
      message: 'payment failed',
      fields: { order: 42, auth: '[redacted]' },
    });
    expect(typeof v.id).toBe('number');
    expect(v.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(v.line).toContain('[redacted]');
    const all = await getJson(`${url}/api/v1/logs?q=${encodeURIComponent(SECRET)}`);
    expect(all.body.lines).toEqual([]);
    expect(JSON.stringify((await getJson(`${url}/api/v1/logs`)).body)).not.toContain(SECRET);

    const badTime = await getJson(`${url}/api/v1/logs?since=yesterday`);
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.message).toMatch(/since: expected ISO-8601/);
    const badLevel = await getJson(`${url}/api/v1/logs?level=loud`);
    expect(badLevel.status).toBe(400);
    expect(badLevel.body.error.code).toBe('BAD_REQUEST');
    expect((await getJson(`${url}/api/v1/logs?limit=0`)).status).toBe(400);
    expect((await getJson(`${url}/api/v1/logs?bogus=1`)).status).toBe(400);
  });
});

describe('live tail over SSE', () => {
  it('streams new matching lines and, after a reconnect, the ones missed in between', async () => {
    const { url, logs } = await setup();
    logs.ingest(line('ERROR before the tail'));
    await logs.flush();
    const before = await logs.search({ limit: 1 });

    const client = new GantryClient({ baseUrl: url, token: undefined, fetch });
    const seen: LogLineView[] = [];
    const stop = new AbortController();
    const timeout = setTimeout(() => stop.abort(), 30_000);
    // A client that drops the stream after its first line, as a flaky network would.
    let opened = 0;
    const flaky: Pick<GantryClient, 'openLogStream'> = {
      async openLogStream(q, lastEventId, signal) {
        opened++;
        const body = await client.openLogStream(q, lastEventId, signal);
        if (opened > 1) return body;
        return (async function* () {
          for await (const chunk of body) {
            yield chunk;
            if (new TextDecoder().decode(chunk).includes('event: log')) return;
          }
        })();
      },
    };
    const following = followLogs(flaky, { environment: 'production', level: 'warn' }, (v) => seen.push(v), {
      signal: stop.signal,
      after: before[0]?.id ?? 0,
    });
    await waitUntil(() => logs.stats().tails > 0);
    logs.ingest(line('ERROR first'));
    logs.ingest(line('INFO not shown: below warn'));
    logs.ingest(line('WARN not shown: other environment', { environment: 'staging' }));
    await logs.flush();
    await waitUntil(() => opened >= 2 || seen.length >= 1);
    logs.ingest(line('WARN second'));
    logs.ingest(line('ERROR third'));
    await logs.flush();
    await waitUntil(() => seen.length >= 3);
    stop.abort();
    await following;
    clearTimeout(timeout);
    expect(seen.map((v) => v.message)).toEqual(['first', 'second', 'third']);
    expect(opened).toBeGreaterThanOrEqual(2);
  });
});

describe('gantry logs', () => {
  it('prints stored lines oldest first, or JSON lines', async () => {
    const { url, logs } = await setup();
    logs.ingest(
      line('{"level":50,"msg":"payment failed","order":42}', { at: Date.UTC(2026, 4, 1, 12, 3, 4) }),
    );
    logs.ingest(line('INFO recovered', { at: Date.UTC(2026, 4, 1, 12, 3, 5) }));
    await logs.flush();
    const run = async (args: string[]) => {
      let out = '';
      let err = '';
      const code = await runCli(args, {
        stdout: { write: (s: string) => (out += s) },
        stderr: { write: (s: string) => (err += s) },
        env: { GANTRY_URL: url, GANTRY_TOKEN: 't' },
      });
      return { code, out, err };
    };
    const text = await run(['logs', '--env', 'production']);
    expect(text.code).toBe(0);
    expect(text.out).toBe(
      '12:03:04 production v2 production-v2-ab12 ERROR payment failed {"order":42}\n' +
        '12:03:05 production v2 production-v2-ab12 INFO recovered\n',
    );
    const json = await run(['logs', '--env', 'production', '--grep', 'payment', '--json']);
    expect(json.code).toBe(0);
    const rows = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LogLineView);
    expect(rows.map((r) => r.message)).toEqual(['payment failed']);
    const bad = await run(['logs', '--env', 'production', '--level', 'loud']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/expected one of trace, debug/);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}
