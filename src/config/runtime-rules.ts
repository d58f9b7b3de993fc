// Which `run:` fields each runtime needs or refuses. They read the raw file, like
// references.ts, because they relate two top-level keys: `runtime` and `run`.
import type { PathIssue } from './zod-issues.ts';

type Raw = Record<string, unknown>;

function isMapping(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The runtime the file asks for, or undefined when `runtime` itself is malformed (reported by the schema). */
function runtimeOf(raw: Raw): 'process' | 'docker' | undefined {
  const runtime = raw.runtime;
  if (runtime === undefined || runtime === 'process') return 'process';
  if (runtime === 'docker' || (isMapping(runtime) && 'docker' in runtime)) return 'docker';
  return undefined;
}

const IMAGE_NEEDS_DOCKER =
  '`image` needs `runtime: docker` at the top of the file (the default runtime, process, runs `command` in the artifact directory)';

function processRules(run: Raw, issues: PathIssue[]): void {
  if (run.command === undefined && run.image === undefined) {
    issues.push({
      path: ['run'],
      message: 'set `command` (to run a process) or `image` with `runtime: docker` (to run a container)',
      target: 'value',
    });
  }
  if (run.image !== undefined)
    issues.push({ path: ['run', 'image'], message: IMAGE_NEEDS_DOCKER, target: 'key' });
  if (Array.isArray(run.command)) {
    issues.push({
      path: ['run', 'command'],
      message:
        'a list of arguments is for `runtime: docker`; the process runtime runs one shell line, like `node server.js`',
      target: 'value',
    });
  }
  for (const key of ['port', 'resources'] as const) {
    if (run[key] === undefined) continue;
    issues.push({
      path: ['run', key],
      message:
        key === 'port'
          ? '`port` is the port inside a container (`runtime: docker`); a process gets its port in $PORT (see `port_env`)'
          : '`resources` limits containers (`runtime: docker`); the process runtime does not enforce limits',
      target: 'key',
    });
  }
}

function dockerRules(run: Raw, issues: PathIssue[]): void {
  if (run.image === undefined) {
    issues.push({
      path: ['run'],
      message:
        '`runtime: docker` runs images: set `image` to the repository, like registry.example.com/shop-api (a version V runs image:V)',
      target: 'value',
    });
  }
  if (run.port === undefined) {
    issues.push({
      path: ['run'],
      message:
        '`runtime: docker` needs `port`: the port the service listens on inside the container, like 8000',
      target: 'value',
    });
  }
  if (typeof run.command === 'string') {
    issues.push({
      path: ['run', 'command'],
      message: `with \`runtime: docker\`, write the command as a list of arguments, like [${run.command
        .trim()
        .split(/\s+/)
        .join(', ')}]: it replaces the image's CMD and no shell runs it`,
      target: 'value',
    });
  }
}

/** Every issue of `run:` against `runtime:` in a raw (parsed, not yet validated) gantry.yaml value. */
export function findRuntimeIssues(raw: unknown): PathIssue[] {
  if (!isMapping(raw) || !isMapping(raw.run)) return [];
  const issues: PathIssue[] = [];
  const runtime = runtimeOf(raw);
  if (runtime === 'process') processRules(raw.run, issues);
  else if (runtime === 'docker') dockerRules(raw.run, issues);
  return issues;
}
