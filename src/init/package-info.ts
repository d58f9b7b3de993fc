// The running Gantry package: its name and version (what CI installs) and where its schema lives.
import { existsSync } from 'node:fs';
import path from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import { SCHEMA_FILE, SCHEMA_URL_PATH } from '../config/index.ts';
import { PACKAGE_ROOT } from '../lib/package-root.ts';

export const GANTRY_PACKAGE = packageJson.name;
export const GANTRY_VERSION = packageJson.version;

/** `--schema server`: the running server's copy, at the address the client commands use. */
export const SCHEMA_FROM_SERVER = 'server';

/**
 * The `$schema` of a gantry.yaml in `projectDir`. `choice` is `server` (the schema served at
 * `serverUrl`), a path or URL written as given, or absent: then the node_modules/gantry that
 * Node would resolve from the project (portable across the team, whoever installed it, from a
 * tarball or the registry), else the schema of the Gantry that runs (a global or checkout install:
 * right on this machine).
 */
export function schemaReference(projectDir: string, choice?: string, serverUrl?: string): string {
  if (choice === SCHEMA_FROM_SERVER) {
    if (serverUrl === undefined) throw new Error('schemaReference: --schema server needs the server URL');
    return `${serverUrl}${SCHEMA_URL_PATH}`;
  }
  if (choice !== undefined) return choice;
  const project = path.resolve(projectDir);
  for (let dir = project; ; dir = path.dirname(dir)) {
    const installed = path.join(dir, 'node_modules', GANTRY_PACKAGE, SCHEMA_FILE);
    if (existsSync(installed)) return relativeTo(project, installed);
    if (path.dirname(dir) === dir) break;
  }
  return relativeTo(project, path.join(PACKAGE_ROOT, SCHEMA_FILE));
}

function relativeTo(from: string, file: string): string {
  const posix = path.relative(from, file).split(path.sep).join('/');
  return posix.startsWith('.') ? posix : `./${posix}`;
}
