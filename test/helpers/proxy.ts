// Helpers for the data plane's tests (and anyone testing against it): real upstream servers on
// loopback port 0, a data plane with an in-memory sink, a small HTTP client, bounded waits.
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { afterEach } from 'vitest';
import { createMemorySink, type MemorySink } from '../../src/metrics/memory-sink.ts';
import { createDataPlane, type DataPlaneOptions } from '../../src/proxy/data-plane.ts';
import type { Backend, DataPlane, EnvironmentRoute, Pool } from '../../src/proxy/types.ts';

export interface TestUpstream {
  name: string;
  url: string;
  port: number;
  server: Server;
  /** Requests received so far. */
  requests: number;
  /** TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** By default answers 200 with JSON {name, method, url, headers}. */
export async function startUpstream(name: string, handler?: Handler): Promise<TestUpstream> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    up.requests++;
    if (handler) return handler(req, res);
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers }));
    });
  });
  server.on('connection', (s: Socket) => {
    up.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const up: TestUpstream = {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    requests: 0,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return up;
}

/** A loopback port that refuses connections (bound once, then released). */
export async function refusedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export function backend(id: string, version: string, url: string): Backend {
  return { id, version, url };
}

export function pool(version: string, weight: number, backends: Backend[]): Pool {
  return { version, weight, backends };
}

export function route(
  environment: string,
  pools: Pool[],
  extra: Partial<EnvironmentRoute> = {},
): EnvironmentRoute {
  return { environment, listen: '127.0.0.1:0', pools, ...extra };
}

export interface TestPlane {
  plane: DataPlane;
  sink: MemorySink;
  /** Loopback port of an environment's listener. */
  port(environment: string): number;
  close(): Promise<void>;
}

export function startDataPlane(opts: Partial<DataPlaneOptions> = {}): TestPlane {
  const sink = createMemorySink({ capacity: 100_000 });
  const local = createDataPlane({ sink, ...opts });
  // The listening addresses as of the last apply, so that tests can name a port synchronously.
  let addresses = new Map<string, { host: string; port: number }>();
  const plane: DataPlane = {
    ...local,
    async apply(desired) {
      try {
        await local.apply(desired);
      } finally {
        addresses = await local.addresses();
      }
    },
  };
  return {
    plane,
    sink,
    port(environment) {
      const a = addresses.get(environment);
      if (!a) throw new Error(`no listener for environment ${environment}`);
      return a.port;
    },
    close: () => plane.close(),
  };
}

export interface TestResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  /** Local port of the client socket, to tell whether a connection was reused. */
  localPort: number;
}

export interface SendOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent | false;
  timeoutMs?: number;
}

/** One HTTP request to 127.0.0.1:port; rejects on a connection error or after timeoutMs. */
export function send(port: number, opts: SendOptions = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: opts.headers,
        agent: opts.agent ?? false,
        timeout: opts.timeoutMs ?? 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            localPort: res.socket?.localPort ?? 0,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request timed out after ${opts.timeoutMs ?? 20_000} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Resolves when `check` returns true (polled), rejects after timeoutMs with `what` in the message. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Rejects after timeoutMs if the promise has not settled. */
export function within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export interface ProxyFixture {
  /** Runs each function after the test, in the reverse order of registration, one at a time. */
  defer(...cleanups: Array<() => Promise<void>>): void;
  /** startUpstream, closed after the test. */
  upstream(name: string, handler?: Handler): Promise<TestUpstream>;
  /** Default upstreams started together, one per name, closed after the test. */
  upstreams(...names: string[]): Promise<TestUpstream[]>;
  /** startDataPlane, closed after the test. */
  plane(opts?: Partial<DataPlaneOptions>): TestPlane;
  /** A data plane whose one environment, staging, has one pool v1 with one backend i1 at url. */
  planeTo(url: string, opts?: Partial<DataPlaneOptions>): Promise<TestPlane>;
  /** A keep-alive client agent, destroyed after the test. */
  keepAliveAgent(maxSockets: number): Agent;
}

/** Registers an afterEach hook that undoes, last first, what the returned functions set up during
 * the test. Call at the top level of a test file. */
export function useProxyFixture(): ProxyFixture {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const fixture: ProxyFixture = {
    defer(...fns) {
      cleanups.push(...fns);
    },
    async upstream(name, handler) {
      const up = await startUpstream(name, handler);
      cleanups.push(() => up.close());
      return up;
    },
    async upstreams(...names) {
      const ups = await Promise.all(names.map((n) => startUpstream(n)));
      for (const u of ups) cleanups.push(() => u.close());
      return ups;
    },
    plane(opts = {}) {
      const p = startDataPlane(opts);
      cleanups.push(() => p.close());
      return p;
    },
    async planeTo(url, opts = {}) {
      const p = fixture.plane(opts);
      await p.plane.apply({
        environments: [route('staging', [pool('v1', 100, [backend('i1', 'v1', url)])])],
      });
      return p;
    },
    keepAliveAgent(maxSockets) {
      const agent = new Agent({ keepAlive: true, maxSockets });
      cleanups.push(async () => agent.destroy());
      return agent;
    },
  };
  return fixture;
}
