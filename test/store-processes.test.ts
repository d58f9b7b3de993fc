// The store as several processes see it: durability of a commit, and locking between writers.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { release, useStoreFixture } from './helpers/store.ts';

const CHILD_TIMEOUT_MS = 30_000;

const { dir, open, storeOptions } = useStoreFixture();

describe('across processes', () => {
  it('keeps a committed transition written by a process that was then killed', async () => {
    const file = path.join(dir(), 'data', 'gantry.db');
    const writer = await writeChildScript(
      'writer.ts',
      `const store = await openStore(${JSON.stringify(await storeOptions(file))});
await store.releases.create({ id: 'rel_a', service: 'shop', environment: 'production', kind: 'release',
  version: 'v7', previousVersion: null, strategy: 'canary', ref: 'refs/tags/v7', createdBy: 'ci',
  plan: { newInstanceIds: ['i1'], oldInstanceIds: [] } });
await store.releases.transition('rel_a', { state: 'succeeded', message: 'promoted', setCurrentVersion: 'v7' });
process.stdout.write('committed\\n');
process.kill(process.pid, 'SIGKILL');`,
    );

    const child = startChild(writer);
    const { signal, stdout, stderr } = await child.done;
    expect(stderr).toBe('');
    expect(stdout).toBe('committed\n');
    expect(signal).toBe('SIGKILL');

    const store = await open(file);
    expect(await store.releases.get('rel_a')).toMatchObject({ state: 'succeeded', version: 'v7' });
    expect(await store.environments.get('shop', 'production')).toMatchObject({
      currentVersion: 'v7',
      currentReleaseId: 'rel_a',
    });
    expect((await store.releases.events('rel_a')).map((e) => e.state)).toEqual(['pending', 'succeeded']);
  });

  it('keeps event seq gapless when two processes append at once', async () => {
    const file = path.join(dir(), 'gantry.db');
    const store = await open(file);
    await store.releases.create(release('rel_a'));
    const appender = await writeChildScript(
      'appender.ts',
      `const store = await openStore(${JSON.stringify(await storeOptions(file))});
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  await Promise.all(Array.from({ length: 150 }, (_, i) =>
    store.releases.appendEvent('rel_a', { type: 'log', message: 'line ' + i, data: { pid: process.pid } })));
  await store.close();
  process.stdout.write('done\\n');
  process.exit(0);
});`,
    );

    const children = [startChild(appender), startChild(appender)];
    await Promise.all(children.map((c) => c.waitForOutput('ready\n')));
    for (const c of children) c.send('go\n');
    const results = await Promise.all(children.map((c) => c.done));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'ready\ndone\n' });

    const events = await store.releases.events('rel_a');
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
    expect(new Set(events.slice(1).map((e) => e.data?.pid)).size).toBe(2);
  });
});

/** Writes a module that has `openStore` in scope, for a child process to run. */
async function writeChildScript(name: string, body: string): Promise<string> {
  const storeUrl = new URL('../src/store/index.ts', import.meta.url).href;
  const file = path.join(dir(), name);
  await writeFile(file, `import { openStore } from ${JSON.stringify(storeUrl)};\n${body}\n`);
  return file;
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a TypeScript module under this Node; killed (and failing) if it outlives CHILD_TIMEOUT_MS. */
function startChild(script: string) {
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const outputWaiters: Array<() => void> = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const wake of outputWaiters.splice(0)) wake();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const done = new Promise<ChildResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${script} did not exit within ${CHILD_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, CHILD_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const waitForOutput = async (text: string): Promise<void> => {
    const exited = done.then((r) => {
      throw new Error(`child exited before printing ${JSON.stringify(text)}: ${r.stderr}`);
    });
    exited.catch(() => {});
    while (!stdout.includes(text)) {
      await Promise.race([new Promise<void>((wake) => outputWaiters.push(wake)), exited]);
    }
  };
  return { done, waitForOutput, send: (text: string) => child.stdin.write(text) };
}
