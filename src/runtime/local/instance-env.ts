// The environment of an instance: a minimal inherited set, so nothing of the server's own
// configuration or secrets leaks into services, then the spec's variables, then Gantry's own.
import type { InstanceSpec } from '../driver.ts';

const INHERITED = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'] as const;

/** Marks a process as started by one process driver (a digest of its data directory); see orphans. */
export const OWNER_ENV = 'GANTRY_RUNTIME_OWNER';
export const INSTANCE_ID_ENV = 'GANTRY_INSTANCE_ID';

export function buildInstanceEnv(
  spec: InstanceSpec,
  port: number,
  owner: string,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, spec.env);
  env[spec.portEnv] = String(port);
  if (spec.dataDir) env.GANTRY_DATA_DIR = spec.dataDir;
  env[INSTANCE_ID_ENV] = spec.id;
  env.GANTRY_SERVICE = spec.service;
  env.GANTRY_ENVIRONMENT = spec.environment;
  env.GANTRY_VERSION = spec.version;
  env[OWNER_ENV] = owner;
  return env;
}
