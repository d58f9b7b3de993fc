// Listeners follow the desired state: opened, moved, closed, and refused with a clear error.
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApplyError } from '../src/proxy/index.ts';
import { backend, pool, route, send, useProxyFixture, waitFor } from './helpers/proxy.ts';

const fx = useProxyFixture();

async function setUp() {
  const up = await fx.upstream('a');
  return { up, p: fx.plane({ closeGraceMs: 2_000 }) };
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fx.defer(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as { port: number }).port, server };
}

describe('listeners', () => {
  it('opens a listener for an added environment and closes the one of a removed environment', async () => {
    const { up, p } = await setUp();
    const pools = [pool('v1', 100, [backend('i1', 'v1', up.url)])];
    await p.plane.apply({ environments: [route('staging', pools)] });
    const staging = p.port('staging');
    await p.plane.apply({ environments: [route('staging', pools), route('production', pools)] });
    expect(p.port('staging')).toBe(staging);
    expect((await send(p.port('production'))).status).toBe(200);
    expect([...(await p.plane.addresses()).keys()].sort()).toEqual(['production', 'staging']);

    await p.plane.apply({ environments: [route('production', pools)] });
    expect((await p.plane.addresses()).has('staging')).toBe(false);
    expect(await refuses(staging)).toBe(true);
    expect((await send(p.port('production'))).status).toBe(200);
  });

  it('lets a request in flight finish on a listener being closed', async () => {
    let release: (() => void) | undefined;
    const up = await fx.upstream('slow', (_req, res) => {
      release = () => res.end('late');
    });
    const p = await fx.planeTo(up.url, { closeGraceMs: 20_000 });
    const port = p.port('staging');
    const pending = send(port);
    await waitFor(() => release !== undefined, 'the request to reach the backend');
    await p.plane.apply({ environments: [] });
    expect(await refuses(port)).toBe(true);
    release?.();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toBe('late');
  });

  it('rejects with the environment and address named when the port is taken, applying the others', async () => {
    const { up, p } = await setUp();
    const { port } = await occupiedPort();
    const pools = [pool('v1', 100, [backend('i1', 'v1', up.url)])];
    const err = await p.plane
      .apply({
        environments: [route('staging', pools), route('production', pools, { listen: `127.0.0.1:${port}` })],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect((err as Error).message).toContain('environment production');
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).toContain('EADDRINUSE');
    expect((err as ApplyError).failures.map((f) => f.environment)).toEqual(['production']);
    expect((await p.plane.addresses()).has('production')).toBe(false);
    expect((await send(p.port('staging'))).status).toBe(200);
  });

  it('keeps the previous listener and pools of an environment whose new address is taken', async () => {
    const a = await fx.upstream('a');
    const b = await fx.upstream('b');
    const p = fx.plane();
    await p.plane.apply({
      environments: [route('production', [pool('v1', 100, [backend('a', 'v1', a.url)])])],
    });
    const before = p.port('production');
    const { port } = await occupiedPort();
    await expect(
      p.plane.apply({
        environments: [
          route('production', [pool('v2', 100, [backend('b', 'v2', b.url)])], {
            listen: `127.0.0.1:${port}`,
          }),
        ],
      }),
    ).rejects.toThrow(/environment production: cannot listen on 127\.0\.0\.1:\d+/);
    expect(p.port('production')).toBe(before);
    expect(JSON.parse((await send(before)).body).name).toBe('a');
  });

  it('rejects an invalid listen address or backend URL without changing anything', async () => {
    const { up, p } = await setUp();
    const pools = [pool('v1', 100, [backend('i1', 'v1', up.url)])];
    await p.plane.apply({ environments: [route('staging', pools)] });
    await expect(
      p.plane.apply({ environments: [route('staging', pools, { listen: 'localhost' })] }),
    ).rejects.toThrow(/environment staging: invalid listen address "localhost"/);
    await expect(
      p.plane.apply({
        environments: [route('staging', [pool('v1', 100, [backend('x', 'v1', 'ftp://h:1')])])],
      }),
    ).rejects.toThrow(/backend x: unsupported URL scheme/);
    expect((await send(p.port('staging'))).status).toBe(200);
  });

  it('hands an address over when an environment is renamed', async () => {
    const { up, p } = await setUp();
    const { port, server } = await occupiedPort();
    await new Promise<void>((r) => server.close(() => r()));
    const pools = [pool('v1', 100, [backend('i1', 'v1', up.url)])];
    const listen = `127.0.0.1:${port}`;
    await p.plane.apply({ environments: [route('prod', pools, { listen })] });
    await p.plane.apply({ environments: [route('production', pools, { listen })] });
    expect(p.port('production')).toBe(port);
    expect((await p.plane.addresses()).has('prod')).toBe(false);
    expect((await send(port)).status).toBe(200);
  });
});
