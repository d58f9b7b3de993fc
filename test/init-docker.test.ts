// Gantry's Dockerfile. No image can be pulled on these machines, so it is not built here: its
// essential properties are read from the file, its HEALTHCHECK command runs for real against
// loopback servers, and its ENTRYPOINT/CMD go through the real CLI parser.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServerOptions } from '../src/cli/commands/server.ts';
import { runCli } from '../src/cli/program.ts';
import { only, parseDockerfile, type Stage } from './helpers/dockerfile.ts';
import { freePort, npmStartCommand, repoRoot } from './helpers/gantry.ts';

let stages: Stage[] = [];
let runtime: Stage;

beforeAll(async () => {
  stages = parseDockerfile(await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8'));
  runtime = stages.at(-1) as Stage;
});

describe('Dockerfile', () => {
  it('is multi-stage on Node 24 slim, building in one stage and running in another', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    for (const stage of stages) expect(stage.image).toBe('node:24-bookworm-slim');
    const build = stages[0] as Stage;
    expect(only(build, 'RUN').join('\n')).toMatch(/npm install .*&& npm run build/);
    expect(only(stages[1] as Stage, 'RUN').join('\n')).toContain('npm install --omit=dev --ignore-scripts');
  });

  it('runs as a non-root user in the final stage', () => {
    const users = only(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('ships only built files and production dependencies in the final stage', () => {
    const copies = only(runtime, 'COPY');
    const earlier = stages.slice(0, -1).map((s) => s.name);
    for (const copy of copies) {
      const from = /--from=(\S+)/.exec(copy)?.[1];
      expect(from, copy).toBeDefined();
      expect(earlier).toContain(from);
    }
    const sources = copies.map((c) => c.replace(/--from=\S+\s+/, '').split(/\s+/)[0]);
    expect(sources).toEqual([
      '/app/node_modules',
      '/src/package.json',
      '/src/dist',
      '/src/web/dist',
      '/src/schema',
    ]);
    expect(copies.find((c) => c.includes('--from=deps'))).toBeDefined();
  });

  it('exposes 7070, keeps state in /data, and starts the server', () => {
    expect(only(runtime, 'EXPOSE')).toEqual(['7070']);
    expect(only(runtime, 'VOLUME')).toEqual(['/data']);
    // With the Node flags `npm start` uses (light when idle; npm run bench:memory).
    const { env, flags } = npmStartCommand();
    expect(flags).toContain('--no-maglev');
    expect(only(runtime, 'ENTRYPOINT').map((e) => JSON.parse(e))).toEqual([
      ['node', ...flags, 'dist/main.js'],
    ]);
    expect(env.GLIBC_TUNABLES).toBeDefined();
    expect(only(runtime, 'ENV').join(' ')).toContain(`GLIBC_TUNABLES=${env.GLIBC_TUNABLES}`);
    expect(only(runtime, 'CMD').map((c) => JSON.parse(c))).toEqual([
      ['server', '--listen', '0.0.0.0:7070', '--data-dir', '/data'],
    ]);
  });

  it("has a CMD the CLI accepts as it stands (the server's options, nothing bound)", async () => {
    const cmd = JSON.parse(only(runtime, 'CMD')[0] ?? '[]') as string[];
    let seen: ServerOptions | undefined;
    const code = await runCli(
      cmd,
      { stdout: { write: () => true }, stderr: { write: () => true }, env: {} },
      {
        startServer: async (opts) => {
          seen = opts;
        },
      },
    );
    expect(code).toBe(0);
    expect(seen).toMatchObject({ listen: '0.0.0.0:7070', dataDir: '/data', config: ['gantry.yaml'] });
  });

  it('copies from the build context only files that exist, and .dockerignore keeps the rest out', async () => {
    const contextCopies = stages
      .flatMap((s) => only(s, 'COPY'))
      .filter((c) => !c.includes('--from='))
      .flatMap((c) => c.split(/\s+/).slice(0, -1));
    expect(contextCopies).toContain('package-lock.json');
    for (const source of contextCopies) expect(existsSync(path.join(repoRoot, source)), source).toBe(true);
    const ignored = (await readFile(path.join(repoRoot, '.dockerignore'), 'utf8')).split('\n');
    for (const entry of ['.git', 'node_modules', 'dist', 'web/dist', '.gantry', 'test']) {
      expect(ignored).toContain(entry);
    }
  });
});

describe('the HEALTHCHECK command', () => {
  let check: string[] = [];
  let defaultUrl = '';

  beforeAll(() => {
    const healthcheck = only(runtime, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    check = JSON.parse(/CMD\s+(\[.*\])$/.exec(healthcheck[0] ?? '')?.[1] ?? '[]') as string[];
    defaultUrl = /GANTRY_HEALTHCHECK_URL=(\S+)/.exec(only(runtime, 'ENV').join(' '))?.[1] ?? '';
  });

  function runCheck(url: string): Promise<number | null> {
    expect(check[0]).toBe('node');
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, check.slice(1), {
        env: { ...process.env, GANTRY_HEALTHCHECK_URL: url },
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  async function withServer(status: number, body: (url: string) => Promise<void>): Promise<void> {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/health' ? status : 404, { 'content-type': 'application/health+json' });
      res.end('{"status":"pass"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it("asks Gantry's /health on 7070 by default", () => {
    expect(defaultUrl).toBe('http://127.0.0.1:7070/health');
  });

  it('passes on 200, fails on 503 and when nothing listens', async () => {
    await withServer(200, async (url) => expect(await runCheck(url)).toBe(0));
    await withServer(503, async (url) => expect(await runCheck(url)).toBe(1));
    expect(await runCheck(`http://127.0.0.1:${await freePort()}/health`)).toBe(1);
  });
});
