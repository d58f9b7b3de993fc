import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeConfig } from '../src/config/types.ts';
import { probeOnce } from '../src/probes/probe-once.ts';
import { freePort, type HealthServer, startHealthServer } from './fixtures/probes/health-server.ts';

function http(path: string, over: Partial<ProbeConfig> = {}): ProbeConfig {
  return {
    path,
    type: 'http',
    interval: 100,
    timeout: 2000,
    failure_threshold: 1,
    success_threshold: 1,
    headers: {},
    ...over,
  };
}

describe('probeOnce over HTTP', () => {
  let srv: HealthServer;
  beforeAll(async () => {
    srv = await startHealthServer();
  });
  afterAll(() => srv.close());

  it('passes on 2xx and says what it did', async () => {
    srv.set('/ok', { status: 204 });
    const r = await probeOnce(srv, http('/ok'));
    expect(r.ok).toBe(true);
    expect(r.status).toBe(204);
    expect(r.detail).toMatch(/^GET \/ok → 204 in \d+ ms$/);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('fails on 5xx and quotes the body', async () => {
    srv.set('/bad', { status: 503, body: 'database\nunavailable' });
    const r = await probeOnce(srv, http('/bad'));
    expect(r).toMatchObject({ ok: false, status: 503 });
    expect(r.detail).toMatch(/^GET \/bad → 503 in \d+ ms: database unavailable$/);
  });

  it('trims a long body to 300 characters', async () => {
    srv.set('/long', { status: 500, body: 'x'.repeat(5000) });
    const r = await probeOnce(srv, http('/long'));
    expect(r.ok).toBe(false);
    expect(r.detail.length).toBeLessThanOrEqual(300);
    expect(r.detail.endsWith('…')).toBe(true);
  });

  it('sends the configured headers', async () => {
    srv.set('/auth', { status: 200 });
    await probeOnce(srv, http('/auth', { headers: { 'x-probe-token': 'abc' } }));
    expect(srv.lastHeaders('/auth')?.['x-probe-token']).toBe('abc');
  });

  const healthJson = 'application/health+json';
  it.each([
    ['pass', true],
    ['warn', true],
    ['fail', false],
  ])('respects health+json status %s behind a 200', async (status, ok) => {
    const body = JSON.stringify({ status, checks: { db: [{ status }] } });
    srv.set(`/hj-${status}`, { status: 200, contentType: healthJson, body });
    const r = await probeOnce(srv, http(`/hj-${status}`));
    expect(r.ok).toBe(ok);
    expect(r.status).toBe(200);
    if (status === 'warn') expect(r.detail).toContain('health status warn');
    if (status === 'fail') expect(r.detail).toContain('"status":"fail"');
  });

  it('reads a Spring-style {"status":"DOWN"} in application/json as a failure', async () => {
    srv.set('/down', {
      status: 200,
      contentType: 'application/json; charset=utf-8',
      body: '{"status":"DOWN"}',
    });
    expect((await probeOnce(srv, http('/down'))).ok).toBe(false);
  });

  it('ignores a status field in a non-JSON response', async () => {
    srv.set('/text', { status: 200, contentType: 'text/plain', body: '{"status":"fail"}' });
    expect((await probeOnce(srv, http('/text'))).ok).toBe(true);
  });

  it('fails after the probe timeout', async () => {
    srv.set('/slow', { status: 200, delayMs: 3000 });
    const r = await probeOnce(srv, http('/slow', { timeout: 150 }));
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('timed out after 150 ms');
  });

  it('reports a cancelled probe as cancelled, not as a timeout', async () => {
    srv.set('/slow2', { status: 200, delayMs: 3000 });
    const ac = new AbortController();
    const p = probeOnce(srv, http('/slow2', { timeout: 10_000 }), { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const r = await p;
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('probe cancelled');
  });

  it('fails with "connection refused" when nothing listens', async () => {
    const port = await freePort();
    const r = await probeOnce({ host: '127.0.0.1', port }, http('/health'));
    expect(r.ok).toBe(false);
    expect(r.status).toBeUndefined();
    expect(r.detail).toBe(`GET /health on 127.0.0.1:${port}: connection refused`);
  });
});

describe('probeOnce over TCP', () => {
  it('passes when the port accepts a connection (explicit tcp and no probe at all)', async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const tcp = await probeOnce({ host: '127.0.0.1', port }, http('', { type: 'tcp' }));
      const implicit = await probeOnce({ host: '127.0.0.1', port }, undefined);
      expect(tcp.ok).toBe(true);
      expect(implicit.ok).toBe(true);
      expect(implicit.detail).toContain('accepted a connection');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fails when the port is closed', async () => {
    const port = await freePort();
    const r = await probeOnce({ host: '127.0.0.1', port }, undefined);
    expect(r.ok).toBe(false);
    expect(r.detail).toBe(`TCP connect to 127.0.0.1:${port}: connection refused`);
  });
});
