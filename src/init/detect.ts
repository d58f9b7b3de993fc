// Looks at a project directory and decides how Gantry should run it: the stack, the service name,
// the start command (a Procfile's web line, package.json, a Python web app) and the health
// endpoints. It never asks: what it cannot find becomes a placeholder and a warning.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PLACEHOLDER_COMMAND } from '../config/index.ts';
import { readDockerfile } from './dockerfile.ts';
import { findHealthPaths, readSourceFiles } from './source-scan.ts';
import { type Command, nodeCommand, type PackageJson, pythonCommand } from './start-command.ts';
import type { NodeFacts, ProjectFacts, PythonFacts } from './types.ts';

export { PLACEHOLDER_COMMAND };

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DEFAULT_SERVICE = 'my-service';
const NPM_PLACEHOLDER_TEST = /no test specified/;

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
    command = await nodeCommand(dir, packageJson, warnings);
  }
  if (!command && stack === 'python') command = pythonCommand({ pyproject, requirements }, files, warnings);
  if (!command) {
    command = { command: PLACEHOLDER_COMMAND, source: 'none' };
    warnings.push(
      'no start command found (no Procfile web line, start script, main file, usual entry file or Python web app): set run.command in gantry.yaml, `gantry validate` refuses the placeholder',
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
