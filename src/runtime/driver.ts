// The one interface every runtime (process, docker, kubernetes) implements.
// Nothing outside runtime/ knows how a driver runs an instance: an instance is an opaque handle,
// the artifact a directory or an image pinned by digest, stats and orphans are the driver's own.
import type { Logger } from '../lib/log.ts';
import type { BackoffOptions } from './local/backoff.ts';

export type DriverKind = 'process' | 'docker' | 'kubernetes';

/** What a version refers to before the driver has checked (directory) or pulled (image) it. */
export type ArtifactRef =
  | { kind: 'directory'; directory: string }
  /** `image` is the reference as given; it may already carry `@sha256:…`. */
  | { kind: 'image'; image: string };

/** What a version runs: an unpacked directory (process runtime) or an image pinned by digest. */
export type Artifact =
  /** Absolute path of the version's unpacked artifact; the driver never writes into it. */
  | { kind: 'directory'; directory: string }
  /** `image` is the repository reference as given; `digest` is `sha256:…`. */
  | { kind: 'image'; image: string; digest: string };

export interface InstanceSpec {
  id: string;
  service: string;
  environment: string;
  version: string;
  artifact: Artifact;
  /** Process runtime: a shell line run by /bin/sh -c (an array is quoted into one). Docker: argv replacing the image's CMD. */
  command?: string | string[];
  /** Secrets included: a driver never puts these into labels, logs or errors. */
  env: Record<string, string>;
  /** Name of the variable that receives the port (e.g. PORT). */
  portEnv: string;
  /** Host port to use; the driver picks a free loopback port when absent. */
  port?: number;
  /** Port the service listens on inside a container (docker); ignored by the process driver. */
  containerPort?: number;
  /** Persistent per-environment data directory (survives versions), passed as GANTRY_DATA_DIR. */
  dataDir?: string;
  /** Limits; the process driver does not enforce them. */
  resources?: { cpus?: number; memoryBytes?: number };
  /** Grace period between the polite stop and the kill, for restarts (stop takes its own). */
  stopTimeoutMs: number;
}

/**
 * Opaque to everyone outside runtime/: a JSON-serialisable value the driver alone interprets
 * (process: `{ pid, startTime }`; docker: `{ containerId }`). Stored as JSON text in the instance record.
 */
export type InstanceHandle = { readonly driver: DriverKind } & Record<string, unknown>;

export type InstanceStatus = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface InstanceExit {
  code: number | null;
  signal: string | null;
  at: number; // epoch ms
}

export interface LogLine {
  at: number; // epoch ms
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface InstanceInfo {
  id: string;
  spec: InstanceSpec;
  status: InstanceStatus;
  /** Null while nothing runs (before the first start, in backoff, once stopped). */
  handle: InstanceHandle | null;
  /** Where the proxy and probes reach the instance (the host port for containers). */
  host: string;
  port: number;
  restarts: number;
  startedAt: number | null;
  lastExit: InstanceExit | null;
}

export type RuntimeEvent =
  | { type: 'started'; instance: InstanceInfo }
  | { type: 'exited'; instance: InstanceInfo; exit: InstanceExit; restartInMs: number | null }
  | { type: 'stopped'; instance: InstanceInfo }
  | { type: 'log'; instanceId: string; line: LogLine };

export interface StopOptions {
  /** Grace period between the polite stop (SIGTERM, engine stop) and the kill. */
  graceMs: number;
}

/** An instance a previous server left running, as its record tells it. */
export interface AdoptRecord {
  spec: InstanceSpec;
  handle: InstanceHandle;
  port: number;
  restarts: number;
}

export interface InstanceStats {
  /** Share of one CPU since the previous call for this instance (100 = one full core); null on the first. */
  cpuPercent: number | null;
  memoryBytes: number | null;
}

export interface WorkloadDriver {
  readonly kind: DriverKind;
  /**
   * Turns a version's reference into a runnable artifact BEFORE anything stops: the process driver
   * checks the directory; docker pulls (per policy, with credentials) and resolves the digest.
   * Throws a clear error naming the artifact and the cause.
   */
  resolveArtifact(ref: ArtifactRef): Promise<Artifact>;
  /** Starts an instance; resolves once it is launched (not when it is ready). */
  start(spec: InstanceSpec): Promise<InstanceInfo>;
  /** Stops an instance for good (no restart): polite stop, the kill after graceMs, its files removed. */
  stop(id: string, opts: StopOptions): Promise<void>;
  /** Kills and starts the instance again (e.g. after liveness failures), counting a restart. */
  restart(id: string, reason: string): Promise<void>;
  /** Takes over instances left running by a previous server; returns those still alive. */
  adopt(records: AdoptRecord[]): Promise<InstanceInfo[]>;
  /**
   * Finds and removes this driver's instances that no record claims (by label, by environment
   * marker), never touching anything it did not start. Returns the ids removed.
   */
  removeOrphans(claimedInstanceIds: ReadonlySet<string>, graceMs: number): Promise<string[]>;
  /** CPU and memory of a running instance; undefined when it is not running. */
  stats(id: string): Promise<InstanceStats | undefined>;
  get(id: string): InstanceInfo | undefined;
  list(): InstanceInfo[];
  /** Recent output of an instance (bounded buffer, oldest first). */
  recentLogs(id: string, limit?: number): LogLine[];
  subscribe(fn: (e: RuntimeEvent) => void): () => void;
  /** Stops supervising. With `stopInstances`, stops every instance first; otherwise leaves them running for adoption. */
  close(opts: { stopInstances: boolean; graceMs: number }): Promise<void>;
}

/** gantry.yaml's `runtime:` as far as picking and configuring a driver goes (default process). */
export interface RuntimeConfig {
  kind: DriverKind;
  /** The validated `runtime.docker` section; read by the docker driver alone. */
  docker?: Readonly<Record<string, unknown>>;
}

/** What every driver gets from the server that creates it. */
export interface DriverDeps {
  /** Gantry's data directory: a driver keeps its per-instance files under `<dataDir>/instances/`. */
  dataDir: string;
  logger?: Logger;
  backoff?: BackoffOptions;
  /** Lines of recent output kept per instance for `recentLogs`. */
  logBufferLines?: number;
  /** Reads a secret by name (docker: `${secret:NAME}` in registry passwords, resolved at each pull). */
  lookupSecret?: (name: string) => string | undefined | Promise<string | undefined>;
}
