// End-to-end helpers: a real Gantry server (in this process or as a child process that can be
// SIGKILLed), real example services, real HTTP load.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import type { InstanceView, ReleaseDetailResponse, ReleaseRecord, StatusBody } from '../../src/api/types.ts';
import { packDirectory } from '../../src/artifacts/index.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * How `npm start` runs the server: the variables and Node flags of its node command,
 * `[VAR=value ...] node [flags] dist/main.js …` (the image and bench:memory run the same).
 */
export function npmStartCommand(): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const m = /&&\s*((?:\w+=\S+\s+)*)node\s+(.*?)\s*dist\/main\.js/.exec(pkg.scripts.start);
  if (!m) throw new Error(`cannot read the node command of the start script: ${pkg.scripts.start}`);
  const env = Object.fromEntries(
    (m[1] ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
  );
  return { env, flags: (m[2] ?? '').split(/\s+/).filter(Boolean) };
}
export const helloApp = path.join(repoRoot, 'examples/hello/app');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function tempDir(
  prefix = 'gantry-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestEnvPorts {
  staging: number;
  production: number;
}

/** A gantry.yaml for the hello example with fast probes, on free ports. */
export async function writeHelloConfig(
  dir: string,
  opts: {
    ports?: TestEnvPorts;
    startupTimeout?: string;
    stagingInstances?: number;
    productionInstances?: number;
    /** More keys of the staging / production environment, as YAML indented by 4 spaces. */
    staging?: string;
    production?: string;
    extra?: string;
  } = {},
): Promise<{ file: string; ports: TestEnvPorts }> {
  const ports = opts.ports ?? { staging: await freePort(), production: await freePort() };
  const file = path.join(dir, 'gantry.yaml');
  await writeFile(
    file,
    `service: hello
run:
  command: node server.js
  env: { PATH: "${path.dirname(process.execPath)}:/usr/bin:/bin" }
  stop_timeout: 3s
  drain_timeout: 10s
health:
  liveness: { path: /health, interval: 200ms, timeout: 1s, failure_threshold: 3 }
  readiness: { path: /readiness, interval: 100ms, timeout: 1s, failure_threshold: 2 }
  startup_timeout: ${opts.startupTimeout ?? '20s'}
environments:
  staging:
    listen: 127.0.0.1:${ports.staging}
    instances: ${opts.stagingInstances ?? 1}
    track: { branch: main }
${opts.staging ?? ''}
  production:
    listen: 127.0.0.1:${ports.production}
    instances: ${opts.productionInstances ?? 2}
    track: { tag: "v*" }
    requires: { passed: staging }
${opts.production ?? ''}
${opts.extra ?? ''}`,
  );
  return { file, ports };
}

/**
 * A gantry.yaml for the hello example as a GitHub push webhook sees it: staging tracks main,
 * production v* tags (no requires), and, given a variable name, `triggers.github.secret` from it.
 */
export async function writeWebhookConfig(dir: string, secretVariable: string | null): Promise<string> {
  const file = path.join(dir, 'gantry.yaml');
  await writeFile(
    file,
    `service: hello
run:
  command: node server.js
  env: { PATH: "${path.dirname(process.execPath)}:/usr/bin:/bin" }
  stop_timeout: 3s
health:
  readiness: { path: /readiness, interval: 100ms, timeout: 1s, failure_threshold: 2 }
  startup_timeout: 20s
environments:
  staging:
    listen: 127.0.0.1:${await freePort()}
    track: { branch: main }
  production:
    listen: 127.0.0.1:${await freePort()}
    track: { tag: "v*" }
${secretVariable ? `triggers:\n  github: { secret: "\${secret:${secretVariable}}" }\n` : ''}`,
  );
  return file;
}

/** A copy of the hello app with knobs in hello.json (a "build" of a given behaviour). */
export async function helloBuild(
  dir: string,
  name: string,
  knobs: Record<string, unknown> = {},
): Promise<string> {
  const out = path.join(dir, 'builds', name);
  await cp(helloApp, out, { recursive: true });
  if (Object.keys(knobs).length > 0) await writeFile(path.join(out, 'hello.json'), JSON.stringify(knobs));
  return out;
}

/** The admin token a server wrote at its first start into `<dataDir>/admin-token`. */
export function adminToken(dataDir: string): string {
  return readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
}

/** Headers that authenticate as the admin of the server whose data dir this is (for raw fetch). */
export function authHeaders(dataDir: string): Record<string, string> {
  return { authorization: `Bearer ${adminToken(dataDir)}` };
}

/** Admin tokens of the servers tests started as child processes, by their URL. */
const knownTokens = new Map<string, string>();

/**
 * A client of a test server's API, authenticated as its admin: give it the server itself
 * (`new ApiClient(server)`, anything with url and dataDir), or the URL of a ChildServer, or a URL
 * and a token. `token: null` sends no token at all.
 */
export class ApiClient {
  readonly base: string;
  readonly token: string | undefined;
  constructor(server: string | { url: string; dataDir: string }, token?: string | null) {
    this.base = typeof server === 'string' ? server : server.url;
    this.token =
      token === null
        ? undefined
        : (token ?? (typeof server === 'string' ? knownTokens.get(server) : adminToken(server.dataDir)));
  }

  /** The same server, as the holder of another token (undefined: none). */
  as(token: string | undefined): ApiClient {
    return new ApiClient(this.base, token ?? null);
  }

  headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  async call<T = unknown>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(this.base + p, {
      method,
      headers: {
        ...this.headers(),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async upload(version: string, dir: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.base}/api/v1/versions/${version}/artifact`, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/gzip' },
      body: Readable.toWeb(packDirectory(dir)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    return { status: res.status, body: await res.json() };
  }

  async deploy(environment: string, version: string): Promise<ReleaseRecord> {
    const r = await this.call<{ release: ReleaseRecord }>('POST', '/api/v1/releases', {
      environment,
      version,
    });
    if (r.status !== 201)
      throw new Error(`deploy ${environment} ${version}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.release;
  }

  async waitRelease(id: string, timeoutMs = 60_000): Promise<ReleaseDetailResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.call<ReleaseDetailResponse>('GET', `/api/v1/releases/${id}`);
      if (r.body.release.finishedAt) return r.body;
      if (Date.now() > deadline)
        throw new Error(`release ${id} still ${r.body.release.state} after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  async releaseState(id: string): Promise<string> {
    return (await this.call<{ release: ReleaseRecord }>('GET', `/api/v1/releases/${id}`)).body.release.state;
  }

  async status(): Promise<StatusBody> {
    return (await this.call<StatusBody>('GET', '/api/v1/status')).body;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

/** GET the hello service through an environment's proxy; returns status and the version that answered. */
export async function hit(
  port: number,
  p = '/',
): Promise<{ status: number; version?: string; body: string }> {
  const res = await request(`http://127.0.0.1:${port}${p}`, { dispatcher: oneShot });
  const body = await res.body.text();
  let version: string | undefined;
  try {
    version = (JSON.parse(body) as { version?: string }).version;
  } catch {}
  return { status: res.statusCode, ...(version ? { version } : {}), body };
}
const oneShot = new Agent({ pipelining: 0 });

export interface LoadResult {
  total: number;
  failures: Array<{ at: number; error: string }>;
  byVersion: Map<string, number>;
  /** [startedAt, version] of each successful response, in completion order. */
  responses: Array<{ start: number; end: number; version: string }>;
}

/** Continuous concurrent GETs with keep-alive until stop() is called. */
export function startLoad(
  port: number,
  concurrency = 8,
): { result: LoadResult; stop: () => Promise<LoadResult> } {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  const result: LoadResult = { total: 0, failures: [], byVersion: new Map(), responses: [] };
  let running = true;
  const worker = async () => {
    while (running) {
      const start = Date.now();
      try {
        const res = await request(`http://127.0.0.1:${port}/`, {
          dispatcher: agent,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const text = await res.body.text();
        result.total++;
        if (res.statusCode !== 200) {
          result.failures.push({ at: start, error: `status ${res.statusCode}: ${text.slice(0, 200)}` });
          continue;
        }
        const version = (JSON.parse(text) as { version: string }).version;
        result.byVersion.set(version, (result.byVersion.get(version) ?? 0) + 1);
        result.responses.push({ start, end: Date.now(), version });
      } catch (err) {
        result.total++;
        result.failures.push({ at: start, error: String(err) });
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    result,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      await agent.close();
      return result;
    },
  };
}

/** A Gantry server in a child process, so that it can be killed with SIGKILL. */
export class ChildServer {
  proc: ChildProcess | undefined;
  url = '';
  output = '';
  readonly args: string[];
  readonly dataDir: string;
  readonly env: Record<string, string>;
  /** The admin token, read from `<dataDir>/admin-token` once the server is up. */
  token = '';
  #onOutput: () => void = () => {};

  /**
   * `extraArgs`: more options of `gantry server` (e.g. --data-plane-workers 2); `store`: a PostgreSQL
   * URL for --store (the data dir's SQLite file without it); `env`: more environment variables.
   */
  constructor(opts: {
    config: string;
    dataDir: string;
    extraArgs?: string[];
    store?: string;
    env?: Record<string, string>;
  }) {
    this.dataDir = opts.dataDir;
    this.env = opts.env ?? {};
    this.args = [
      'server',
      '--config',
      opts.config,
      '--data-dir',
      opts.dataDir,
      '--listen',
      '127.0.0.1:0',
      '--log-level',
      'info',
      ...(opts.extraArgs ?? []),
      ...(opts.store ? ['--store', opts.store] : []),
    ];
  }

  /** Starts the server and waits until it is ready (the leader, on a shared database). */
  async start(): Promise<string> {
    this.#launch();
    return this.waitReady();
  }

  /**
   * Starts a server that finds another one holding the leader lock of its database: resolves with
   * the URL where it answers as a standby (the same URL once it takes over).
   */
  async startStandby(): Promise<string> {
    this.#launch();
    const api = await this.#waitOutput(
      'the server to wait as a standby',
      /"api":"([^"]+)"[^\n]*waiting as a standby|waiting as a standby[^\n]*"api":"([^"]+)"/,
    );
    this.url = `http://${api}`;
    this.token = adminToken(this.dataDir);
    knownTokens.set(this.url, this.token);
    return this.url;
  }

  /** Waits for the server (started, or a standby that takes over) to say it is ready; its URL. */
  async waitReady(timeoutMs = 60_000): Promise<string> {
    this.url = await this.#waitOutput(
      'the server to be ready',
      /"url":"(http:\/\/[^"]+)"[^\n]*gantry server ready|gantry server ready[^\n]*"url":"(http:\/\/[^"]+)"/,
      timeoutMs,
    );
    this.token = adminToken(this.dataDir);
    knownTokens.set(this.url, this.token);
    return this.url;
  }

  #launch(): void {
    this.output = '';
    const proc = spawn(process.execPath, [path.join(repoRoot, 'bin/gantry.js'), ...this.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GANTRY_LOG_LEVEL: 'info', ...this.env },
    });
    this.proc = proc;
    const onData = (chunk: Buffer) => {
      this.output += chunk.toString();
      this.#onOutput();
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
  }

  /** The first group of `pattern` in the output so far or to come. */
  #waitOutput(what: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const proc = this.proc;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.output}`)),
        timeoutMs,
      );
      const onExit = (code: number | null) =>
        done(new Error(`gantry server exited with ${code}:\n${this.output}`));
      const done = (err: Error | undefined, value?: string) => {
        clearTimeout(timer);
        proc?.off('exit', onExit);
        this.#onOutput = () => {};
        if (err) reject(err);
        else resolve(value as string);
      };
      this.#onOutput = () => {
        const m = pattern.exec(this.output);
        if (m) done(undefined, (m[1] ?? m[2]) as string);
      };
      proc?.once('exit', onExit);
      this.#onOutput();
      if (proc && (proc.exitCode !== null || proc.signalCode !== null)) onExit(proc.exitCode);
    });
  }

  /** Authorization for raw fetch calls to this server. */
  headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  kill9(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
      setTimeout(() => proc.kill('SIGKILL'), 15_000).unref();
    });
  }
}

/** The pid of an instance the process runtime runs (from its opaque handle in the API's view). */
export function pidOf(i: Pick<InstanceView, 'id' | 'handle'> | undefined): number {
  const pid = i?.handle?.pid;
  if (typeof pid !== 'number') throw new Error(`instance ${i?.id} has no process running`);
  return pid;
}

/** Is a process alive? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface PacedSample {
  start: number;
  end: number;
  status: number;
  version?: string;
  error?: string;
}

/**
 * Open-loop load at a fixed rate (requests leave on schedule whether or not earlier ones
 * finished), as real traffic does. `headers(i)` may set per-request headers (e.g. a sticky cookie).
 */
export function startPacedLoad(
  port: number,
  rate: number,
  opts: { headers?: (i: number) => Record<string, string> } = {},
): { samples: PacedSample[]; stop: () => Promise<PacedSample[]> } {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  const samples: PacedSample[] = [];
  const inflight = new Set<Promise<void>>();
  const started = Date.now();
  let sent = 0;
  const fire = () => {
    const i = sent++;
    const start = Date.now();
    const p = request(`http://127.0.0.1:${port}/`, {
      dispatcher: agent,
      headers: opts.headers?.(i) ?? {},
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    })
      .then(async (res) => {
        const text = await res.body.text();
        let version: string | undefined;
        try {
          version = (JSON.parse(text) as { version?: string }).version;
        } catch {}
        samples.push({ start, end: Date.now(), status: res.statusCode, ...(version ? { version } : {}) });
      })
      .catch((err: unknown) => {
        samples.push({ start, end: Date.now(), status: 0, error: String(err) });
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) * rate) / 1000);
    while (sent < due) fire();
  }, 5);
  return {
    samples,
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...inflight]);
      await agent.close();
      return samples;
    },
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real `gantry` command (bin/gantry.js) in a child process, with the test's environment plus
 * `env` (a variable given as undefined is removed), `input` on its stdin, killed after `timeoutMs`.
 */
export function runGantry(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/gantry.js'), ...args], {
      env,
      cwd: opts.cwd ?? repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
