// `gantry init` on real project directories (copies of the examples and small made-up projects):
// what it detects, that the gantry.yaml it writes loads with the real config loader, and how it
// refuses to overwrite.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli } from '../src/cli/program.ts';
import { loadConfigFile, matchRef } from '../src/config/index.ts';
import { PLACEHOLDER_COMMAND, toServiceName } from '../src/init/index.ts';
import { repoRoot, runGantry } from './helpers/gantry.ts';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** A project directory named `name` inside a fresh temp dir, holding `files`. */
async function makeProject(
  name: string,
  files: Record<string, string> = {},
  copyFrom?: string,
): Promise<string> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'gantry-init-'));
  temps.push(base);
  const dir = path.join(base, name);
  if (copyFrom) await cp(copyFrom, dir, { recursive: true });
  else await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

async function init(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['init', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  });
  return { code, stdout, stderr };
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

describe('gantry init: a Node project', () => {
  it('writes a gantry.yaml that the config loader accepts, with the start script and health paths', async () => {
    const dir = await makeProject('hello', {}, path.join(repoRoot, 'examples/hello/app'));
    const res = await init(['--dir', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(
      'wrote gantry.yaml (service hello: `node server.js`, health /health and /readiness)',
    );
    expect(res.stdout).toMatch(/next:\n\s+1\. Check gantry\.yaml, then: gantry validate/);
    expect(await exists(path.join(dir, '.github'))).toBe(false);

    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.service).toBe('hello');
    expect(config.run.command).toBe('node server.js');
    expect(config.run.port_env).toBe('PORT');
    expect(config.run.env).toEqual({ NODE_ENV: 'production' });
    expect(config.health.liveness?.path).toBe('/health');
    expect(config.health.readiness?.path).toBe('/readiness');
    expect(Object.keys(config.environments)).toEqual(['staging', 'production']);
    expect(config.environments.production?.requires).toEqual({ passed: 'staging' });
    expect(config.environments.production?.scan).toBeUndefined();
    expect(matchRef(config, 'refs/heads/main')?.environment).toBe('staging');
    expect(matchRef(config, 'refs/tags/v1.2.3')?.environment).toBe('production');
    expect(matchRef(config, 'refs/heads/feature')).toBeUndefined();
  });

  it('points the $schema modeline at a schema file that exists', async () => {
    const dir = await makeProject('modeline', { 'package.json': '{"name":"modeline","main":"server.js"}' });
    expect((await init(['--dir', dir])).code).toBe(0);
    const first = (await readFile(path.join(dir, 'gantry.yaml'), 'utf8')).split('\n')[0] ?? '';
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(m, first).not.toBeNull();
    const schema = JSON.parse(await readFile(path.resolve(dir, m?.[1] ?? ''), 'utf8')) as { title: string };
    expect(schema.title).toBe('gantry.yaml');
  });

  it('points $schema at the node_modules/gantry Node would resolve, from the project or a parent (a workspace)', async () => {
    const dir = await makeProject('ws/packages/api', {
      'package.json': '{"name":"api","main":"server.js"}',
      'server.js': '',
    });
    const root = path.resolve(dir, '../../..');
    await mkdir(path.join(root, 'node_modules/gantry/schema'), { recursive: true });
    await writeFile(
      path.join(root, 'node_modules/gantry/schema/gantry.schema.json'),
      '{"title":"installed"}',
    );
    expect((await init(['--dir', dir])).code).toBe(0);
    const first = (await readFile(path.join(dir, 'gantry.yaml'), 'utf8')).split('\n')[0];
    expect(first).toBe(
      '# yaml-language-server: $schema=../../../node_modules/gantry/schema/gantry.schema.json',
    );
  });

  it("writes the server's schema URL with --schema server (--url, else GANTRY_URL), and any other --schema as is", async () => {
    const dir = await makeProject('schema-choice', {
      'package.json': '{"name":"s","main":"server.js"}',
      'server.js': '',
    });
    const modeline = async () => (await readFile(path.join(dir, 'gantry.yaml'), 'utf8')).split('\n')[0];
    expect(
      (await init(['--dir', dir, '--schema', 'server', '--url', 'https://gantry.example.com/'])).code,
    ).toBe(0);
    expect(await modeline()).toBe(
      '# yaml-language-server: $schema=https://gantry.example.com/api/v1/schema/gantry.json',
    );
    let stdout = '';
    const code = await runCli(['init', '--dir', dir, '--force', '--schema', 'server'], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      env: { GANTRY_URL: 'http://127.0.0.1:7070' },
    });
    expect(code, stdout).toBe(0);
    expect(await modeline()).toBe(
      '# yaml-language-server: $schema=http://127.0.0.1:7070/api/v1/schema/gantry.json',
    );
    expect((await init(['--dir', dir, '--force', '--schema', 'tools/gantry.schema.json'])).code).toBe(0);
    expect(await modeline()).toBe('# yaml-language-server: $schema=tools/gantry.schema.json');
  });

  it('runs npm start for a start script that is more than `node FILE`, and names the service from a scoped package', async () => {
    const dir = await makeProject('x', {
      'package.json': JSON.stringify({
        name: '@acme/Shop.API',
        scripts: { start: 'npm run migrate && node dist/server.js', test: 'vitest run', build: 'tsc' },
      }),
      'package-lock.json': '{}',
      'src/routes.ts': "app.get('/healthz', ok);\n",
    });
    const res = await init(['--dir', dir, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      service: 'shop-api',
      stack: 'node',
      run: { command: 'npm start', source: 'start-script' },
      health: { liveness: '/healthz', readiness: '/healthz' },
      written: [{ path: 'gantry.yaml', replaced: false }],
    });
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.health.readiness?.path).toBe('/healthz');
  });

  it('uses package.json main when there is no start script, and --service over every guess', async () => {
    const dir = await makeProject('y', {
      'package.json': '{"name":"ignored","main":"lib/app"}',
      'lib/app.js': '',
    });
    const res = await init(['--dir', dir, '--service', 'billing']);
    expect(res.code, res.stderr).toBe(0);
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.service).toBe('billing');
    expect(config.run.command).toBe('node lib/app.js');
  });

  it("passes over npm init's main when that file does not exist (no `node index.js` for a missing index.js)", async () => {
    // What `npm init -y` writes: main index.js whether or not there is one, and a placeholder test.
    const npmInit = JSON.stringify({
      name: 'fresh',
      version: '1.0.0',
      main: 'index.js',
      scripts: { test: 'echo "Error: no test specified" && exit 1' },
    });
    const withServer = await makeProject('fresh', { 'package.json': npmInit, 'server.mjs': '' });
    const found = await init(['--dir', withServer]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stderr).toContain("warning: package.json's main is index.js, which does not exist");
    expect((await loadConfigFile(path.join(withServer, 'gantry.yaml'))).config.run.command).toBe(
      'node server.mjs',
    );

    const empty = await makeProject('fresh', { 'package.json': npmInit });
    const placeholder = await init(['--dir', empty, '--json']);
    expect(placeholder.code, placeholder.stderr).toBe(0);
    expect(JSON.parse(placeholder.stdout)).toMatchObject({
      run: { command: PLACEHOLDER_COMMAND, source: 'none' },
    });
    expect(await readFile(path.join(empty, 'gantry.yaml'), 'utf8')).not.toMatch(/command: .*index\.js/);
  });

  it('keeps a start script that runs a missing file, with a warning unless a build script makes it', async () => {
    const unbuilt = await makeProject('s1', { 'package.json': '{"scripts":{"start":"node app.js"}}' });
    const res = await init(['--dir', unbuilt]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('the start script runs app.js, which does not exist');
    const built = await makeProject('s2', {
      'package.json': '{"scripts":{"start":"node dist/server.js","build":"tsc"}}',
    });
    const quiet = await init(['--dir', built]);
    expect(quiet.stderr).not.toContain('does not exist');
    expect((await loadConfigFile(path.join(built, 'gantry.yaml'))).config.run.command).toBe(
      'node dist/server.js',
    );
  });

  it('refuses an invalid --service', async () => {
    const dir = await makeProject('z');
    const res = await init(['--dir', dir, '--service', 'Shop_API']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("invalid service name 'Shop_API'");
    expect(await exists(path.join(dir, 'gantry.yaml'))).toBe(false);
  });
});

describe('gantry init: Python and other projects', () => {
  it('runs a FastAPI app under Gunicorn with Uvicorn workers', async () => {
    const dir = await makeProject(
      'items-api',
      { 'requirements.txt': 'fastapi\nuvicorn\n' },
      path.join(repoRoot, 'examples/fastapi/app'),
    );
    const res = await init(['--dir', dir]);
    expect(res.code, res.stderr).toBe(0);
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.service).toBe('items-api');
    expect(config.run.command).toBe(
      'gunicorn -w 2 -k uvicorn.workers.UvicornWorker main:app --bind 127.0.0.1:$PORT --graceful-timeout 10',
    );
    expect(config.run.stop_timeout).toBe(15_000);
    expect(config.run.env).toEqual({ PYTHONUNBUFFERED: '1' });
    expect(config.health.liveness?.path).toBe('/health');
    expect(config.health.readiness?.path).toBe('/readiness');
  });

  it('finds the app object in a src/ layout and the name in pyproject.toml', async () => {
    const dir = await makeProject('proj', {
      'pyproject.toml': '[project]\nname = "Shop_API"\ndependencies = ["fastapi>=0.110", "uvicorn"]\n',
      'src/shop/app.py':
        'from fastapi import FastAPI\n\napplication = FastAPI()\n\n@application.get("/readyz")\ndef r(): ...\n',
      'tests/test_app.py': '@app.get("/health")\n',
    });
    const res = await init(['--dir', dir, '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { service: string; run: { command: string }; health: object };
    expect(out.service).toBe('shop-api');
    expect(out.run.command).toContain('--chdir src shop.app:application');
    // The tests' routes are not the service's.
    expect(out.health).toEqual({ readiness: '/readyz' });
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.health.liveness).toBeUndefined();
    expect(config.health.readiness?.path).toBe('/readyz');
  });

  it.each([
    [
      'Flask',
      {
        'requirements.txt': 'flask\ngunicorn\n',
        'app.py': 'from flask import Flask\napp = Flask(__name__)\n',
      },
      'gunicorn -w 2 app:app --bind 127.0.0.1:$PORT --graceful-timeout 10',
    ],
    [
      'Django',
      {
        'requirements.txt': 'Django>=5\ngunicorn\n',
        'manage.py': '',
        'mysite/wsgi.py':
          'from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n',
      },
      'gunicorn -w 2 mysite.wsgi:application --bind 127.0.0.1:$PORT --graceful-timeout 10',
    ],
  ])('runs a %s app under Gunicorn', async (_name, files, command) => {
    const dir = await makeProject('wsgi-app', files);
    const res = await init(['--dir', dir, '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      run: { command, source: 'wsgi' },
      warnings: [expect.any(String)],
    });
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.run.stop_timeout).toBe(15_000);
  });

  it('warns when the Gunicorn it writes is not among the dependencies', async () => {
    const dir = await makeProject('no-gunicorn', {
      'requirements.txt': 'fastapi\n',
      'main.py': 'from fastapi import FastAPI\napp = FastAPI()\n',
    });
    const res = await init(['--dir', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('gunicorn and uvicorn are not among the dependencies');
  });

  it("takes a Procfile's web line before anything else", async () => {
    const dir = await makeProject('rails-app', {
      Procfile: 'release: rake db:migrate\nweb: bundle exec puma -p $PORT\n',
    });
    const res = await init(['--dir', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('warning: no health endpoint found');
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.run.command).toBe('bundle exec puma -p $PORT');
    expect(config.health.liveness).toBeUndefined();
    expect(await readFile(path.join(dir, 'gantry.yaml'), 'utf8')).toContain('# health:');
  });

  it('writes a placeholder that validate refuses, and that fails with instructions if run, when nothing says how to start', async () => {
    const dir = await makeProject('mystery');
    const res = await init(['--dir', dir]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('warning: no start command found');
    expect(res.stdout).toContain('1. Set run.command in gantry.yaml.');
    const text = await readFile(path.join(dir, 'gantry.yaml'), 'utf8');
    expect(text).toContain('# TODO: no start command was found');
    expect((parseYaml(text) as { run: { command: string } }).run.command).toBe(PLACEHOLDER_COMMAND);
    const file = path.join(dir, 'gantry.yaml');
    await expect(loadConfigFile(file)).rejects.toThrow(
      /gantry\.yaml:\d+:\d+ run\.command: still the placeholder `gantry init` wrote/,
    );
    const validated = await runGantry(['validate', '--config', file]);
    expect(validated.code, validated.stderr).toBe(2);
    expect(validated.stderr).toContain('run.command: still the placeholder');
    const run = await new Promise<{ code: number | null; err: string }>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', PLACEHOLDER_COMMAND], { env: { PORT: '4321' } });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, err }));
    });
    expect(run.code).toBe(1);
    expect(run.err).toContain('set run.command to the command that starts this service on port $PORT');
  });
});

describe('gantry init: existing files', () => {
  it('refuses to overwrite without --force, and replaces with it', async () => {
    const dir = await makeProject('app', {
      'package.json': '{"name":"app","scripts":{"start":"node app.js"}}',
    });
    await writeFile(path.join(dir, 'gantry.yaml'), 'mine\n');
    const refused = await init(['--dir', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error: gantry.yaml already exists: nothing was written');
    expect(refused.stderr).toContain('hint: Pass --force to overwrite');
    expect(await readFile(path.join(dir, 'gantry.yaml'), 'utf8')).toBe('mine\n');

    const forced = await init(['--dir', dir, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('replaced gantry.yaml');
    expect((await loadConfigFile(path.join(dir, 'gantry.yaml'))).config.run.command).toBe('node app.js');
  });

  it('writes neither file when only the workflow exists', async () => {
    const dir = await makeProject('app2', { '.github/workflows/gantry.yml': 'mine\n' });
    const res = await init(['--dir', dir, '--ci', 'github']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('.github/workflows/gantry.yml already exists');
    expect(await exists(path.join(dir, 'gantry.yaml'))).toBe(false);
  });

  it('refuses an unknown CI provider and a missing directory (exit 2)', async () => {
    expect((await init(['--ci', 'gitlab'])).code).toBe(2);
    const missing = await init(['--dir', path.join(os.tmpdir(), 'gantry-init-no-such-dir-for-sure')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('not a directory');
  });
});

describe('gantry init as a command', () => {
  it('works in the current directory, and `gantry validate` accepts the result', async () => {
    const dir = await makeProject('cwd-app', {}, path.join(repoRoot, 'examples/hello/app'));
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(repoRoot, 'bin/gantry.js'), ...args], {
          cwd: dir,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr.on('data', (c: Buffer) => (out += c.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });
    const inited = await run(['init', '--ci', 'github']);
    expect(inited.code, inited.out).toBe(0);
    expect(inited.out).toContain('wrote .github/workflows/gantry.yml');
    const validated = await run(['validate']);
    expect(validated.code, validated.out).toBe(0);
    expect(validated.out).toContain('gantry.yaml is valid: service hello');
    // With a pipeline sending scan reports, production gates on them.
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.environments.production?.scan?.fail_on).toBe('critical');
  });
});

describe('toServiceName', () => {
  it.each([
    ['shop-api', 'shop-api'],
    ['@acme/Shop.API', 'shop-api'],
    ['My_Cool  App!', 'my-cool-app'],
    ['2fast', 'fast'],
    ['___', undefined],
    ['a'.repeat(80), 'a'.repeat(63)],
  ])('%s → %s', (raw, expected) => {
    expect(toServiceName(raw)).toBe(expected);
  });
});
