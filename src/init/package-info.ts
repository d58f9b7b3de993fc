// The running Gantry package: its name and version (what CI installs) and where its schema lives.
// Paths are relative to this file, which sits at the same depth in src/ and in the built dist/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import packageJson from '../../package.json' with { type: 'json' };

export const GANTRY_PACKAGE = packageJson.name;
export const GANTRY_VERSION = packageJson.version;

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCHEMA_IN_PACKAGE = 'schema/gantry.schema.json';

/**
 * The `$schema` path for a gantry.yaml in `projectDir`: the project's own node_modules/gantry when
 * Gantry is a dependency there (portable across the team), else the schema of this Gantry.
 */
export function schemaReference(projectDir: string): string {
  const local = `node_modules/${GANTRY_PACKAGE}/${SCHEMA_IN_PACKAGE}`;
  if (existsSync(path.join(projectDir, local))) return `./${local}`;
  const relative = path.relative(path.resolve(projectDir), path.join(PACKAGE_ROOT, SCHEMA_IN_PACKAGE));
  const posix = relative.split(path.sep).join('/');
  return posix.startsWith('.') ? posix : `./${posix}`;
}
