// How a project starts, read from what it already says: package.json's start script or main (when
// that file exists), a usual entry file, or a Python web app (FastAPI, Flask, Django) under
// Gunicorn. Nothing found is not guessed: the caller writes a placeholder that validation refuses.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { findFastApiApp, findWsgiApp, type SourceFile } from './source-scan.ts';
import type { ProjectFacts } from './types.ts';

// `node` resolves these too, in this order, when a start script or main names a file without them.
const NODE_EXTENSIONS = ['', '.js', '.mjs', '.cjs', '/index.js'];
const NODE_ENTRY_FILES = [
  'server.js',
  'server.mjs',
  'index.js',
  'index.mjs',
  'app.js',
  'app.mjs',
  'main.js',
  'main.mjs',
  'src/server.js',
  'src/index.js',
  'src/app.js',
  'src/main.js',
];
// A start script that is only `node FILE [args]` can run directly: no npm in between, so SIGTERM
// reaches the service itself.
const SIMPLE_NODE_COMMAND = /^node(\s+[\w./@=:-]+)+$/;
const GUNICORN_STOP_TIMEOUT = '15s';

export interface Command {
  command: string;
  source: ProjectFacts['commandSource'];
  stopTimeout?: string;
}

export interface PackageJson {
  name?: unknown;
  main?: unknown;
  scripts?: Record<string, unknown>;
}

export async function nodeCommand(
  dir: string,
  pkg: PackageJson,
  warnings: string[],
): Promise<Command | undefined> {
  const start = typeof pkg.scripts?.start === 'string' ? pkg.scripts.start.trim() : undefined;
  if (start) {
    if (!SIMPLE_NODE_COMMAND.test(start)) return { command: 'npm start', source: 'start-script' };
    const file = start.split(/\s+/).find((word, i) => i > 0 && !word.startsWith('-'));
    if (file && !(await nodeFile(dir, file)) && typeof pkg.scripts?.build !== 'string') {
      warnings.push(`the start script runs ${file}, which does not exist and no build script makes it`);
    }
    return { command: start, source: 'start-script' };
  }
  // `npm init -y` writes "main": "index.js" whether or not there is one: a main that is not there
  // says nothing about how the service starts.
  const main = typeof pkg.main === 'string' ? pkg.main.trim() : '';
  if (main !== '') {
    const file = await nodeFile(dir, main);
    if (file) return { command: `node ${file}`, source: 'main-field' };
    warnings.push(`package.json's main is ${main}, which does not exist: it was not used`);
  }
  for (const file of NODE_ENTRY_FILES) {
    if (await isFile(path.join(dir, file))) {
      warnings.push(`no start script in package.json: guessed \`node ${file}\`, check run.command`);
      return { command: `node ${file}`, source: 'entry-file' };
    }
  }
  return undefined;
}

/** The file `node NAME` would run in `dir`, as written when it exists as is. */
async function nodeFile(dir: string, name: string): Promise<string | undefined> {
  const base = name.replace(/^\.\//, '').replace(/\/+$/, '');
  for (const ext of NODE_EXTENSIONS) {
    if (await isFile(path.join(dir, base + ext))) return ext === '' ? base : base + ext;
  }
  return undefined;
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}

export interface PythonDeps {
  pyproject: string | undefined;
  requirements: string | undefined;
}

/** FastAPI under Gunicorn with Uvicorn workers; Flask or Django (WSGI) under plain Gunicorn. */
export function pythonCommand(
  deps: PythonDeps,
  files: SourceFile[],
  warnings: string[],
): Command | undefined {
  const fastApi = mentions(deps, 'fastapi');
  const wsgi = fastApi ? undefined : findWsgiApp(files);
  if (!fastApi && !wsgi) return undefined;
  const app = fastApi ? findFastApiApp(files) : wsgi;
  if (fastApi && !app) {
    warnings.push('FastAPI is a dependency but no `app = FastAPI(` was found: check main:app in run.command');
  }
  const missing = ['gunicorn', ...(fastApi ? ['uvicorn'] : [])].filter((name) => !mentions(deps, name));
  if (missing.length > 0) {
    warnings.push(
      `run.command uses Gunicorn, but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not among the dependencies: add ${missing.length === 1 ? 'it' : 'them'} to requirements.txt or pyproject.toml`,
    );
  }
  const target = app?.target ?? 'main:app';
  const chdir = app?.chdir ? ` --chdir ${app.chdir}` : '';
  const worker = fastApi ? ' -k uvicorn.workers.UvicornWorker' : '';
  // Gunicorn finishes in-flight requests on SIGTERM within --graceful-timeout; stop_timeout is longer.
  return {
    command: `gunicorn -w 2${worker}${chdir} ${target} --bind 127.0.0.1:$PORT --graceful-timeout 10`,
    source: fastApi ? 'fastapi' : 'wsgi',
    stopTimeout: GUNICORN_STOP_TIMEOUT,
  };
}

function mentions({ pyproject, requirements }: PythonDeps, name: string): boolean {
  return (
    (requirements !== undefined && new RegExp(`^\\s*${name}\\b`, 'im').test(requirements)) ||
    (pyproject !== undefined && new RegExp(`["'\\s]${name}\\b`, 'i').test(pyproject))
  );
}
