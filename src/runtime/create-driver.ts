// One factory picks the driver from gantry.yaml's `runtime:` (default process). The registry is a
// mapped type over DriverKind, so a driver that is half added (a kind with no entry) does not compile.

import { createDockerDriver } from './docker/docker-driver.ts';
import { readDockerOptions } from './docker/options.ts';
import type { DriverDeps, DriverKind, InstanceHandle, RuntimeConfig, WorkloadDriver } from './driver.ts';
import { createProcessDriver } from './local/process-driver.ts';
import { readProcessHandle } from './local/process-handle.ts';

type DriverFactory = (config: RuntimeConfig, deps: DriverDeps) => WorkloadDriver;

function notYet(kind: DriverKind): DriverFactory {
  return () => {
    throw new Error(
      `the ${kind} runtime is not available in this version of Gantry; remove \`runtime: ${kind}\` from gantry.yaml to run processes`,
    );
  };
}

const DRIVERS: { readonly [K in DriverKind]: DriverFactory } = {
  process: (_config, deps) =>
    createProcessDriver({
      dataDir: deps.dataDir,
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
      ...(deps.logBufferLines !== undefined ? { logBufferLines: deps.logBufferLines } : {}),
    }),
  docker: (config, deps) =>
    createDockerDriver({
      ...readDockerOptions(config.docker),
      dataDir: deps.dataDir,
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.backoff ? { backoff: deps.backoff } : {}),
      ...(deps.logBufferLines !== undefined ? { logBufferLines: deps.logBufferLines } : {}),
      ...(deps.lookupSecret ? { lookupSecret: deps.lookupSecret } : {}),
    }),
  kubernetes: notYet('kubernetes'),
};

export function createDriver(config: RuntimeConfig, deps: DriverDeps): WorkloadDriver {
  return DRIVERS[config.kind](config, deps);
}

/** A short label of what runs an instance, for people (`pid 4242`, `container 3f9a…`); never parsed. */
export function describeHandle(handle: InstanceHandle | null): string | null {
  if (!handle) return null;
  const proc = readProcessHandle(handle);
  if (proc) return `pid ${proc.pid}`;
  if (handle.driver === 'process' && typeof handle.pid === 'number') return `pid ${handle.pid}`;
  const id = handle.containerId ?? handle.name;
  return typeof id === 'string' ? `${handle.driver} ${id.slice(0, 12)}` : handle.driver;
}
