// Large and odd config files: duplicate keys are found in one pass (the parser's own check was
// quadratic: 40,000 keys took seconds), a reload parses in a worker thread so the server's event
// loop keeps answering, the file is capped in size, and the problems listed are bounded.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import {
  ConfigError,
  loadConfigFile,
  loadConfigFileOffThread,
  MAX_CONFIG_BYTES,
  parseConfig,
} from '../src/config/index.ts';
import { MAX_REPORTED_ISSUES } from '../src/config/load.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, repoRoot, tempDir, writeHelloConfig } from './helpers/gantry.ts';

const HEAD = 'service: s\nrun:\n  command: node server.js\n';
const ENVS = 'environments:\n  staging:\n    listen: 127.0.0.1:9\n';
const manyEnv = (n: number) =>
  `${HEAD}  env:\n${Array.from({ length: n }, (_, i) => `    K${i}: v`).join('\n')}\n${ENVS}`;

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'gantry.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.line}:${i.column} ${i.message}`);
    throw err;
  }
  return [];
}

describe('duplicate keys', () => {
  it('are found in nested, flow and top-level mappings, compared as the parser does', () => {
    expect(problemsOf(`${HEAD}  env: { A: 1, B: 2, A: 3 }\n${ENVS}`)).toEqual([
      '4:22 invalid YAML: Map keys must be unique',
    ]);
    expect(problemsOf(`${HEAD}${ENVS}    listen: 127.0.0.1:10\n`)).toEqual([
      '7:5 invalid YAML: Map keys must be unique',
    ]);
    // `1` and "1" are different keys to YAML (neither is a valid variable name, but none is a duplicate).
    expect(problemsOf(`${HEAD}  env: { 1: a, "1": b }\n${ENVS}`).filter((p) => p.includes('unique'))).toEqual(
      [],
    );
    const last = manyEnv(40_000).replace(`    K39999: v`, `    K0: again`);
    expect(problemsOf(last)).toEqual(['40004:5 invalid YAML: Map keys must be unique']);
  });
});

describe('bounds', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => tmp?.cleanup());

  it('refuses a file above MAX_CONFIG_BYTES before parsing it, and lists at most MAX_REPORTED_ISSUES problems', async () => {
    const big = path.join(tmp.dir, 'big.yaml');
    await writeFile(big, `${HEAD}${ENVS}# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    await expect(loadConfigFile(big)).rejects.toThrow(/above the 1 MiB a gantry.yaml may have/);
    const issues = problemsOf(
      `${HEAD}${ENVS}${Array.from({ length: 500 }, (_, i) => `x${i}: 1`).join('\n')}\n`,
    );
    expect(issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(issues.at(-1)).toBe('0:0 and 400 more problems not listed');
  });

  it('loads the same config in a worker thread as on the main thread', async () => {
    for (const file of ['examples/hello/gantry.yaml', 'examples/fastapi/gantry.yaml']) {
      const abs = path.join(repoRoot, file);
      expect(await loadConfigFileOffThread(abs)).toStrictEqual(await loadConfigFile(abs));
    }
    const bad = path.join(tmp.dir, 'bad.yaml');
    await writeFile(bad, 'service: a\nservice: b\n');
    await expect(loadConfigFileOffThread(bad)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [{ line: 2, column: 1, message: 'invalid YAML: Map keys must be unique' }],
    });
  });
});

describe('a reload of a 40,000-key config', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let file: string;

  beforeAll(async () => {
    tmp = await tempDir();
    file = (await writeHelloConfig(tmp.dir)).file;
    server = await startServer({
      config: file,
      dataDir: path.join(tmp.dir, 'data'),
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('is answered while the server (this process) keeps its event loop free', async () => {
    const text = (await import('node:fs')).readFileSync(file, 'utf8');
    const env = Array.from({ length: 40_000 }, (_, i) => `    K${i}: v`).join('\n');
    await writeFile(
      file,
      text.replace(/^run:\n/m, `run:\n  env:\n${env}\n`).replace(/^ {2}env: \{[^\n]*\n/m, ''),
    );
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const started = performance.now();
    const res = await new ApiClient(server).call<{ error: { code: string } }>(
      'POST',
      '/api/v1/config/reload',
    );
    const took = performance.now() - started;
    delay.disable();
    // The run section changed: the reload is refused as needing a restart, after a full parse.
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error.code).toBe('CONFIG_RESTART_REQUIRED');
    const maxMs = delay.max / 1e6;
    console.log(
      `reload of 40,000 keys: ${took.toFixed(0)} ms, longest event-loop stall ${maxMs.toFixed(0)} ms`,
    );
    // On the main thread this stalled for 29.9 s (142 s on a loaded test machine). Off it, what is
    // left is receiving the finished config and comparing it (tens of ms), plus the scheduling
    // noise of a shared machine (a busy worker alone shows ~70 ms there): a second bounds it all.
    expect(maxMs).toBeLessThan(1000);
  }, 120_000);
});
