// The published package: `npm run build` emits JavaScript into dist/, `npm pack` makes the tarball,
// and a project that installs it runs gantry from node_modules, where Node refuses to strip types.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, repoRoot } from './helpers/gantry.ts';

const STEP_TIMEOUT_MS = 120_000;

interface Run {
  code: number | null;
  out: string;
}

/** Runs a command to its end (killed after `timeoutMs`), with stdout and stderr together. */
function run(cmd: string, args: string[], opts: { cwd: string; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: 'false' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? STEP_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const exists = async (p: string) => (await stat(p).catch(() => undefined)) !== undefined;

/** The `$schema` of a gantry.yaml's first line (the editor modeline). */
async function modeline(file: string): Promise<string | undefined> {
  const first = (await readFile(file, 'utf8')).split('\n')[0] ?? '';
  return /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1];
}

let tmp = '';
let project = '';
let installedBy = '';
const installed = () => path.join(project, 'node_modules/gantry');
const gantry = (args: string[], cwd = project) =>
  run(process.execPath, [path.join(installed(), 'bin/gantry.js'), ...args], { cwd });

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-pack-'));
  const stage = path.join(tmp, 'stage');
  await mkdir(stage);
  // The real build script, into the staging copy of the package instead of the checkout's dist/.
  const built = await run('npm', ['run', 'build', '--', '--dir', path.join(stage, 'dist')], {
    cwd: repoRoot,
  });
  expect(built.code, built.out).toBe(0);
  for (const entry of ['package.json', 'README.md', 'bin', 'schema', 'examples']) {
    await cp(path.join(repoRoot, entry), path.join(stage, entry), { recursive: true });
  }
  if (await exists(path.join(repoRoot, 'web/dist'))) {
    await cp(path.join(repoRoot, 'web/dist'), path.join(stage, 'web/dist'), { recursive: true });
  }
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], { cwd: stage });
  expect(packed.code, packed.out).toBe(0);
  const tarball = path.join(tmp, (await readdir(tmp)).find((f) => f.endsWith('.tgz')) ?? 'missing.tgz');

  project = path.join(tmp, 'project');
  await mkdir(project);
  await writeFile(
    path.join(project, 'package.json'),
    '{"name":"user-project","version":"1.0.0","private":true}\n',
  );
  const install = await run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    {
      cwd: project,
    },
  );
  if (install.code === 0) {
    installedBy = 'npm install --offline';
  } else {
    // npm's cache lacks some package (a fresh machine): unpack the tarball where npm would have, and
    // let its dependencies resolve to the checkout's through links beside it.
    installedBy = 'tarball unpacked into node_modules';
    await rm(path.join(project, 'node_modules'), { recursive: true, force: true });
    await mkdir(installed(), { recursive: true });
    const unpacked = await run('tar', ['-xzf', tarball, '-C', installed(), '--strip-components=1'], {
      cwd: tmp,
    });
    expect(unpacked.code, unpacked.out).toBe(0);
    for (const dep of await readdir(path.join(repoRoot, 'node_modules'))) {
      if (dep === 'gantry' || dep.startsWith('.')) continue;
      await symlink(path.join(repoRoot, 'node_modules', dep), path.join(project, 'node_modules', dep));
    }
  }
}, 4 * STEP_TIMEOUT_MS);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the package installed from its tarball', () => {
  it('holds dist/ and no TypeScript sources', async () => {
    expect(installedBy).not.toBe('');
    expect(await exists(path.join(installed(), 'dist/main.js'))).toBe(true);
    // The bundle's entries: the data plane process and the worker threads sit beside main.js.
    for (const entry of ['process-main.js', 'load-worker.js', 'verify-worker.js']) {
      expect(await exists(path.join(installed(), 'dist', entry)), entry).toBe(true);
    }
    expect(await exists(path.join(installed(), 'schema/gantry.schema.json'))).toBe(true);
    expect(await exists(path.join(installed(), 'src'))).toBe(false);
  });

  it('runs --help, validate and init from node_modules', async () => {
    const help = await gantry(['--help']);
    expect(help.code, `${installedBy}: ${help.out}`).toBe(0);
    expect(help.out).toContain('Usage: gantry');
    const valid = await gantry([
      'validate',
      '--config',
      path.join(installed(), 'examples/hello/gantry.yaml'),
    ]);
    expect(valid.code, valid.out).toBe(0);
    expect(valid.out).toContain('is valid: service hello');

    const app = path.join(project, 'app');
    await cp(path.join(repoRoot, 'examples/hello/app'), app, { recursive: true });
    const inited = await gantry(['init', '--dir', app]);
    expect(inited.code, inited.out).toBe(0);
    const again = await gantry(['validate', '--config', path.join(app, 'gantry.yaml')]);
    expect(again.code, again.out).toBe(0);
    // The editor's schema: the installed package's, by a path that works for the whole team.
    const schema = await modeline(path.join(app, 'gantry.yaml'));
    expect(schema).toBe('../node_modules/gantry/schema/gantry.schema.json');
    const resolved = JSON.parse(await readFile(path.resolve(app, schema ?? 'missing'), 'utf8')) as {
      title: string;
    };
    expect(resolved.title).toBe('gantry.yaml');
  });

  it('has no script that runs when a project installs it (npm 11 asks to approve those)', async () => {
    // The dashboard ships built (prepack); a checkout builds it on `npm install` with the
    // `dependencies` script, which npm runs for the project being installed only.
    const pkg = JSON.parse(await readFile(path.join(installed(), 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const installTime = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'];
    expect(Object.keys(pkg.scripts).filter((s) => installTime.includes(s))).toEqual([]);
    expect(pkg.scripts.prepack).toContain('build:web');
  });

  it('serves the API and dashboard from the built files', async () => {
    const config = path.join(project, 'server.yaml');
    await writeFile(
      config,
      `service: hello\nrun: { command: node server.js }\nenvironments:\n  staging: { listen: "127.0.0.1:${await freePort()}" }\n`,
    );
    const child = spawn(
      process.execPath,
      [
        path.join(installed(), 'bin/gantry.js'),
        'server',
        '--config',
        config,
        '--data-dir',
        path.join(project, 'data'),
        '--listen',
        '127.0.0.1:0',
      ],
      { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await waitForReady(child);
      const health = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe('pass');
      // Ready: the store answers and the data plane process (dist/process-main.js) runs.
      const ready = await fetch(`${url}/readiness`, { signal: AbortSignal.timeout(10_000) });
      expect(ready.status, await ready.text()).toBe(200);
      // The schema, for editors, with no token; the same as the package's file.
      const served = await fetch(`${url}/api/v1/schema/gantry.json`, { signal: AbortSignal.timeout(10_000) });
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toContain('application/schema+json');
      const file = await readFile(path.join(installed(), 'schema/gantry.schema.json'), 'utf8');
      expect(await served.text()).toBe(file);
      // gantry init --schema server writes that URL.
      const app = path.join(project, 'app-served');
      await mkdir(app);
      const inited = await gantry(['init', '--dir', app, '--schema', 'server', '--url', url]);
      expect(inited.code, inited.out).toBe(0);
      const written = await modeline(path.join(app, 'gantry.yaml'));
      expect(written).toBe(`${url}/api/v1/schema/gantry.json`);
      expect((await fetch(written ?? 'missing', { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
      if (await exists(path.join(installed(), 'web/dist/index.html'))) {
        const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(10_000) });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<html');
      }
    } finally {
      await stop(child);
    }
  });
});

describe('why the package ships dist/', () => {
  it('Node refuses to strip the types of a .ts file under node_modules', async () => {
    const dir = path.join(project, 'node_modules/typed-dep');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'index.ts'), 'const n: number = 1;\nconsole.log(n);\n');
    const res = await run(process.execPath, [path.join(dir, 'index.ts')], { cwd: project });
    expect(res.code).not.toBe(0);
    expect(res.out).toContain('ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING');
  });
});

describe('bin/gantry.js picks its entry', () => {
  /** A package layout whose src/main.ts and dist/main.js only say which one ran. */
  async function layout(root: string, files: { src: boolean; dist: boolean }): Promise<string> {
    await mkdir(path.join(root, 'bin'), { recursive: true });
    await cp(path.join(repoRoot, 'bin/gantry.js'), path.join(root, 'bin/gantry.js'));
    await writeFile(path.join(root, 'package.json'), '{"type":"module"}\n');
    if (files.src) {
      await mkdir(path.join(root, 'src'), { recursive: true });
      await writeFile(path.join(root, 'src/main.ts'), "const from: string = 'src';\nconsole.log(from);\n");
    }
    if (files.dist) {
      await mkdir(path.join(root, 'dist'), { recursive: true });
      await writeFile(path.join(root, 'dist/main.js'), "console.log('dist');\n");
    }
    return path.join(root, 'bin/gantry.js');
  }

  it.each([
    ['a checkout with a stale dist/', 'checkout', { src: true, dist: true }, 'src'],
    ['a checkout never built', 'fresh', { src: true, dist: false }, 'src'],
    ['an image with dist/ only', 'image', { src: false, dist: true }, 'dist'],
    ['an installed package', 'node_modules/gantry', { src: true, dist: true }, 'dist'],
  ])('%s runs %s', async (_name, where, files, expected) => {
    const bin = await layout(path.join(tmp, 'layouts', where), files);
    const res = await run(process.execPath, [bin], { cwd: tmp });
    expect(res.code, res.out).toBe(0);
    expect(res.out.trim()).toBe(expected);
  });
});

/** A Node older than 24 on this machine (the system's), to see bin/gantry.js find a newer one. */
function findOldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    const res = spawnSync(candidate, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' });
    if (res.status === 0 && Number(res.stdout.trim()) < 24) return candidate;
  }
  return undefined;
}

const oldNode = findOldNode();

describe.skipIf(oldNode === undefined)('bin/gantry.js under an older Node (skipped without one)', () => {
  /** node_modules/gantry whose dist/main.js prints the Node major it runs on. */
  async function installedLayout(root: string, withProjectNode: boolean): Promise<string> {
    const pkg = path.join(root, 'node_modules/gantry');
    await mkdir(path.join(pkg, 'bin'), { recursive: true });
    await mkdir(path.join(pkg, 'dist'), { recursive: true });
    await cp(path.join(repoRoot, 'bin/gantry.js'), path.join(pkg, 'bin/gantry.js'));
    await writeFile(path.join(pkg, 'package.json'), '{"type":"module"}\n');
    await writeFile(path.join(pkg, 'dist/main.js'), "console.log(process.versions.node.split('.')[0]);\n");
    if (withProjectNode) {
      await mkdir(path.join(root, 'node_modules/node/bin'), { recursive: true });
      await symlink(process.execPath, path.join(root, 'node_modules/node/bin/node'));
    }
    return path.join(pkg, 'bin/gantry.js');
  }

  it("runs on the project's node package (npm install --save-dev node@24)", async () => {
    const bin = await installedLayout(path.join(tmp, 'old-with-node'), true);
    const res = await run(oldNode ?? 'node', [bin], { cwd: tmp });
    expect(res.code, res.out).toBe(0);
    expect(Number(res.out.trim())).toBeGreaterThanOrEqual(24);
  });

  it('says how to get Node 24 when the project has none (exit 2)', async () => {
    const bin = await installedLayout(path.join(tmp, 'old-without-node'), false);
    const res = await run(oldNode ?? 'node', [bin], { cwd: tmp });
    expect(res.code).toBe(2);
    expect(res.out).toContain('gantry needs Node.js >= 24');
    expect(res.out).toContain('npm install --save-dev node@24');
  });
});

function waitForReady(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`gantry server did not start in 60 s:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*gantry server ready/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gantry server exited with ${code}:\n${out}`));
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
