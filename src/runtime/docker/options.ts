// The docker runtime's settings (gantry.yaml `runtime.docker`), read once and checked,
// with their defaults as named constants. Passwords stay `${secret:NAME}` references here: they are
// resolved at each pull, so a secret set after the server started is used and none sits in memory.

import { DEFAULT_DOCKER_HOST, DEFAULT_DOCKER_NETWORK, DEFAULT_DOCKER_PULL } from '../../config/defaults.ts';

export { DEFAULT_DOCKER_HOST };

/** Engine API ports when runtime.docker.host names none (Docker's conventions). */
const DEFAULT_ENGINE_PORT = { http: 2375, https: 2376 } as const;
/** Where a container sees its environment's persistent data directory (GANTRY_DATA_DIR). */
export const CONTAINER_DATA_DIR = '/var/lib/gantry/data';
/** Host address of published ports: the proxy and probes reach containers on loopback only. */
export const PUBLISH_HOST = '127.0.0.1';

export type PullPolicy = 'if-not-present' | 'always';

export interface RegistryCredential {
  /** Registry host as written in image references (`registry.example.com`, `127.0.0.1:5000`). */
  host: string;
  username: string;
  /** The password, or `${secret:NAME}` references resolved at each pull. */
  password: string;
}

export interface DockerRuntimeOptions {
  /** `unix:///path.sock`, `tcp://host:port` or `http://host:port`. */
  host: string;
  /** `bridge` (a published loopback port → the container port), `host`, or a named network. */
  network: string;
  pull: PullPolicy;
  registries: RegistryCredential[];
}

/** How dockerode reaches the engine. */
export type EngineAddress =
  | { socketPath: string }
  | { protocol: 'http' | 'https'; host: string; port: number };

/** Reads `runtime.docker` (already validated by the config schema) with its defaults. */
export function readDockerOptions(
  raw: Readonly<Record<string, unknown>> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): DockerRuntimeOptions {
  const r = raw ?? {};
  const host = str(r.host) ?? (env.DOCKER_HOST?.trim() || DEFAULT_DOCKER_HOST);
  const network = str(r.network) ?? DEFAULT_DOCKER_NETWORK;
  const pull = str(r.pull) ?? DEFAULT_DOCKER_PULL;
  if (pull !== 'if-not-present' && pull !== 'always') {
    throw new Error(`runtime.docker.pull is ${JSON.stringify(pull)}; use if-not-present or always`);
  }
  const registries = Array.isArray(r.registries) ? r.registries.map(readCredential) : [];
  parseEngineAddress(host);
  return { host, network, pull, registries };
}

function readCredential(value: unknown, i: number): RegistryCredential {
  const v = (value ?? {}) as Record<string, unknown>;
  const host = str(v.host);
  const username = str(v.username);
  const password = typeof v.password === 'string' ? v.password : undefined;
  if (!host || !username || password === undefined) {
    throw new Error(`runtime.docker.registries[${i}] needs host, username and password`);
  }
  return { host, username, password };
}

/** `unix:///run/podman/podman.sock` → a socket path; `tcp://127.0.0.1:2375` → host and port (https: TLS). */
export function parseEngineAddress(host: string): EngineAddress {
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) {
      throw new Error(`runtime.docker.host ${host} needs an absolute socket path (unix:///path/to.sock)`);
    }
    return { socketPath };
  }
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (m) {
    const protocol = m[1] === 'https' ? 'https' : 'http';
    const port = m[3] ? Number(m[3]) : DEFAULT_ENGINE_PORT[protocol];
    return { protocol, host: (m[2] as string).replace(/^\[|\]$/g, ''), port };
  }
  throw new Error(
    `runtime.docker.host ${JSON.stringify(host)} is not an engine address; use unix:///path/to.sock or tcp://host:port`,
  );
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}
