// A bounded look through a project's source files: health endpoints and the Python app object.
// Heuristics only: what they find is written into gantry.yaml for the user to check.
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { HealthPaths } from './types.ts';

const SOURCE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.py']);
const SKIPPED_DIRS = new Set([
  'node_modules',
  '.git',
  '.venv',
  'venv',
  'env',
  '__pycache__',
  'dist',
  'build',
  'coverage',
  '.gantry',
  '.github',
  'site-packages',
]);
const MAX_DEPTH = 3;
const MAX_FILES = 400;
const MAX_FILE_BYTES = 256 * 1024;

// Most specific first: the first path found in the code wins.
const LIVENESS_PATHS = ['/health', '/healthz', '/livez', '/live', '/healthcheck', '/_health', '/ping'];
const READINESS_PATHS = ['/readiness', '/readyz', '/ready'];

export interface SourceFile {
  /** Relative to the project directory, with `/` separators. */
  rel: string;
  text: string;
}

/** Source files near the top of the project (tests and dependencies left out), read once. */
export async function readSourceFiles(dir: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (files.length >= MAX_FILES) return;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (depth < MAX_DEPTH && !SKIPPED_DIRS.has(entry.name) && !isTestPath(entry.name)) {
          await walk(child, depth + 1);
        }
      } else if (
        entry.isFile() &&
        SOURCE_EXTENSIONS.has(path.extname(entry.name)) &&
        !isTestPath(entry.name)
      ) {
        const text = await readSmallFile(path.join(dir, child));
        if (text !== undefined) files.push({ rel: child, text });
      }
    }
  };
  await walk('', 0);
  return files;
}

function isTestPath(name: string): boolean {
  return /^(tests?|__tests__|spec)$/.test(name) || /(^test_|[._-](test|spec)\.)/.test(name);
}

async function readSmallFile(file: string): Promise<string | undefined> {
  try {
    if ((await stat(file)).size > MAX_FILE_BYTES) return undefined;
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Health endpoints the code mentions as quoted route strings ('/health', "/readyz"…). */
export function findHealthPaths(files: SourceFile[]): HealthPaths {
  const mentioned = new Set<string>();
  const candidates = [...LIVENESS_PATHS, ...READINESS_PATHS];
  for (const file of files) {
    for (const candidate of candidates) {
      if (mentioned.has(candidate)) continue;
      if (new RegExp(`['"\`]${escapeRegExp(candidate)}/?['"\`?]`).test(file.text)) mentioned.add(candidate);
    }
  }
  const liveness = LIVENESS_PATHS.find((p) => mentioned.has(p));
  // A /health that answers 200 also says the instance can take traffic, when there is nothing better.
  const readiness = READINESS_PATHS.find((p) => mentioned.has(p)) ?? liveness;
  return { ...(liveness ? { liveness } : {}), ...(readiness ? { readiness } : {}) };
}

export interface AsgiApp {
  /** Gunicorn's `module:variable`. */
  target: string;
  /** Directory to chdir into first (a src/ layout), relative to the project. */
  chdir?: string;
}

/** The first `NAME = FastAPI(` in the Python files, as gunicorn's `module:NAME`. */
export function findFastApiApp(files: SourceFile[]): AsgiApp | undefined {
  return findAppObject(
    files,
    /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_.]+\s*)?=\s*(?:fastapi\.)?FastAPI\(/m,
  );
}

/** A WSGI app for gunicorn: the first `NAME = Flask(`, else a Django project's wsgi.py. */
export function findWsgiApp(files: SourceFile[]): AsgiApp | undefined {
  return (
    findAppObject(files, /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_.]+\s*)?=\s*(?:flask\.)?Flask\(/m) ??
    findAppObject(
      files.filter((f) => f.rel.endsWith('wsgi.py')),
      /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*get_wsgi_application\(/m,
    )
  );
}

/** `module:NAME` of the first Python file where `pattern` captures NAME; src/ layouts chdir there. */
function findAppObject(files: SourceFile[], pattern: RegExp): AsgiApp | undefined {
  for (const file of files) {
    if (!file.rel.endsWith('.py')) continue;
    const m = pattern.exec(file.text);
    if (!m) continue;
    let rel = file.rel.replace(/\.py$/, '').replace(/\/__init__$/, '');
    let chdir: string | undefined;
    if (rel.startsWith('src/')) {
      chdir = 'src';
      rel = rel.slice('src/'.length);
    }
    return { target: `${rel.split('/').join('.')}:${m[1]}`, ...(chdir ? { chdir } : {}) };
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
