// Looks at a project directory and decides how Gantry should run it: the stack, the service name,
// the start command (a Procfile's web line, package.json, a FastAPI app) and the health endpoints.
// It never asks: what it cannot find becomes a placeholder and a warning.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { readDockerfile } from './dockerfile.ts';
import { findFastApiApp, findHealthPaths, readSourceFiles } from './source-scan.ts';
import type { NodeFacts, ProjectFacts, PythonFacts } from './types.ts';

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DEFAULT_SERVICE = 'my-service';
const NODE_ENTRY_FILES = ['server.js', 'index.js', 'app.js', 'main.js', 'src/server.js', 'src/index.js'];
const NPM_PLACEHOLDER_TEST = /no test specified/;
// A start script that is only `node FILE [args]` can run directly: no npm in between, so SIGTERM
// reaches the service itself.
const SIMPLE_NODE_COMMAND = /^node(\s+[\w./@=:-]+)+$/;
const GUNICORN_STOP_TIMEOUT = '15s';

/** The command written when nothing says how to start the service: it fails with instructions. */
export const PLACEHOLDER_COMMAND =
  'echo "gantry.yaml: set run.command to the command that starts this service on port \\$PORT" >&2; exit 1';

interface PackageJson {
  name?: unknown;
  main?: unknown;
  scripts?: Record<string, unknown>;
}

interface Command {
  command: string;
  source: ProjectFacts['commandSource'];
  stopTimeout?: string;
}

/** A valid service name (a DNS label) made from a package or directory name, if one can be. */
export function toServiceName(raw: string): string | undefined {
  const name = raw
    .toLowerCase()
    .replace(/^@[^/]*\//, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return DNS_LABEL.test(name) ? name : undefined;
}

export function isServiceName(name: string): boolean {
  return DNS_LABEL.test(name);
}

export async function detectProject(dir: string, serviceOption?: string): Promise<ProjectFacts> {
  const [pkg, pyproject, requirements, procfile, topLevel, dockerfile] = await Promise.all([
    readPackageJson(dir),
    readText(dir, 'pyproject.toml'),
    readText(dir, 'requirements.txt'),
    readText(dir, 'Procfile'),
    readdir(dir).catch(() => [] as string[]),
    readDockerfile(dir),
  ]);
  const warnings: string[] = [];
  if (pkg === 'invalid') warnings.push('package.json is not valid JSON: it was ignored');
  const packageJson = pkg === 'invalid' ? undefined : pkg;
  const stack =
    packageJson !== undefined
      ? 'node'
      : pyproject !== undefined || requirements !== undefined
        ? 'python'
        : 'other';
  const files = await readSourceFiles(dir);

  const procfileWeb = procfile === undefined ? undefined : /^web:[ \t]*(\S.*?)\s*$/m.exec(procfile)?.[1];
  let command: Command | undefined = procfileWeb ? { command: procfileWeb, source: 'procfile' } : undefined;
  if (!command && stack === 'node' && packageJson) {
    command = nodeCommand(packageJson, await findEntryFile(dir), warnings);
  }
  if (!command && stack === 'python' && mentionsFastApi(pyproject, requirements)) {
    command = fastApiCommand(files, warnings);
  }
  if (!command) {
    command = { command: PLACEHOLDER_COMMAND, source: 'none' };
    warnings.push(
      'no start command found (no Procfile web line, start script or FastAPI app): set run.command in gantry.yaml',
    );
  }

  const health = findHealthPaths(files);
  if (!health.liveness && !health.readiness) {
    warnings.push(
      'no health endpoint found in the code: an instance counts as ready once its port accepts connections; add one and set health in gantry.yaml',
    );
  }

  const { service, serviceSource } = chooseServiceName(dir, serviceOption, packageJson, pyproject);
  return {
    stack,
    service,
    serviceSource,
    command: command.command,
    commandSource: command.source,
    ...(command.stopTimeout ? { stopTimeout: command.stopTimeout } : {}),
    env: stack === 'node' ? { NODE_ENV: 'production' } : stack === 'python' ? { PYTHONUNBUFFERED: '1' } : {},
    health,
    ...(stack === 'node' && packageJson ? { node: nodeFacts(packageJson, topLevel) } : {}),
    ...(stack === 'python' ? { python: await pythonFacts(dir, pyproject, requirements, topLevel) } : {}),
    ...(dockerfile ? { dockerfile } : {}),
    warnings,
  };
}

function nodeCommand(pkg: PackageJson, entry: string | undefined, warnings: string[]): Command | undefined {
  const start = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start.trim() : undefined;
  if (start) {
    return SIMPLE_NODE_COMMAND.test(start)
      ? { command: start, source: 'start-script' }
      : { command: 'npm start', source: 'start-script' };
  }
  if (typeof pkg.main === 'string' && pkg.main.trim() !== '') {
    return { command: `node ${pkg.main.trim()}`, source: 'main-field' };
  }
  if (entry) {
    warnings.push(`no start script in package.json: guessed \`node ${entry}\`, check run.command`);
    return { command: `node ${entry}`, source: 'entry-file' };
  }
  return undefined;
}

async function findEntryFile(dir: string): Promise<string | undefined> {
  for (const file of NODE_ENTRY_FILES) {
    const info = await stat(path.join(dir, file)).catch(() => undefined);
    if (info?.isFile()) return file;
  }
  return undefined;
}

function fastApiCommand(files: Awaited<ReturnType<typeof readSourceFiles>>, warnings: string[]): Command {
  const app = findFastApiApp(files);
  if (!app)
    warnings.push('FastAPI is a dependency but no `app = FastAPI(` was found: check main:app in run.command');
  const target = app?.target ?? 'main:app';
  const chdir = app?.chdir ? ` --chdir ${app.chdir}` : '';
  // Gunicorn finishes in-flight requests on SIGTERM within --graceful-timeout; stop_timeout is longer.
  return {
    command: `gunicorn -w 2 -k uvicorn.workers.UvicornWorker${chdir} ${target} --bind 127.0.0.1:$PORT --graceful-timeout 10`,
    source: 'fastapi',
    stopTimeout: GUNICORN_STOP_TIMEOUT,
  };
}

function mentionsFastApi(pyproject: string | undefined, requirements: string | undefined): boolean {
  return (
    (requirements !== undefined && /^\s*fastapi\b/im.test(requirements)) ||
    (pyproject !== undefined && /["'\s]fastapi\b/i.test(pyproject))
  );
}

function nodeFacts(pkg: PackageJson, topLevel: string[]): NodeFacts {
  const test = pkg.scripts?.test;
  return {
    lockfile: topLevel.includes('package-lock.json') || topLevel.includes('npm-shrinkwrap.json'),
    testScript: typeof test === 'string' && test.trim() !== '' && !NPM_PLACEHOLDER_TEST.test(test),
    buildScript: typeof pkg.scripts?.build === 'string',
  };
}

async function pythonFacts(
  dir: string,
  pyproject: string | undefined,
  requirements: string | undefined,
  topLevel: string[],
): Promise<PythonFacts> {
  let tests = topLevel.some((f) => /^test_.*\.py$/.test(f));
  for (const name of ['tests', 'test']) {
    if (tests) break;
    const inner = await readdir(path.join(dir, name)).catch(() => [] as string[]);
    tests = inner.some((f) => f.endsWith('.py'));
  }
  return { requirements: requirements !== undefined, pyproject: pyproject !== undefined, tests };
}

function chooseServiceName(
  dir: string,
  option: string | undefined,
  pkg: PackageJson | undefined,
  pyproject: string | undefined,
): Pick<ProjectFacts, 'service' | 'serviceSource'> {
  if (option !== undefined) return { service: option, serviceSource: 'option' };
  const fromPackage = typeof pkg?.name === 'string' ? toServiceName(pkg.name) : undefined;
  if (fromPackage) return { service: fromPackage, serviceSource: 'package.json' };
  const pyName = pyproject ? /^\s*name\s*=\s*["']([^"']+)["']/m.exec(pyproject)?.[1] : undefined;
  const fromPyproject = pyName ? toServiceName(pyName) : undefined;
  if (fromPyproject) return { service: fromPyproject, serviceSource: 'pyproject.toml' };
  const fromDir = toServiceName(path.basename(path.resolve(dir)));
  if (fromDir) return { service: fromDir, serviceSource: 'directory' };
  return { service: DEFAULT_SERVICE, serviceSource: 'default' };
}

async function readPackageJson(dir: string): Promise<PackageJson | 'invalid' | undefined> {
  const text = await readText(dir, 'package.json');
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as PackageJson) : 'invalid';
  } catch {
    return 'invalid';
  }
}

async function readText(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, name), 'utf8');
  } catch {
    return undefined;
  }
}
