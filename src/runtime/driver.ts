// The one interface every runtime (process, docker, kubernetes) implements.

export interface InstanceSpec {
  id: string;
  service: string;
  environment: string;
  version: string;
  /** Working directory of the instance (the version's private artifact copy). */
  workDir: string;
  /** Shell command line, run by /bin/sh -c in workDir. */
  command: string;
  /** Environment variables on top of a minimal inherited set (PATH, HOME, LANG, TZ, TMPDIR). */
  env: Record<string, string>;
  /** Name of the variable that receives the port (e.g. PORT). */
  portEnv: string;
  /** Port to use; the driver picks a free loopback port when absent. */
  port?: number;
}

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
  pid: number | null;
  /** /proc start time of pid, so that a reused pid is never adopted. */
  pidStartTime: string | null;
  port: number;
  host: string; // 127.0.0.1 for the process runtime
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
  /** Grace period between SIGTERM and SIGKILL. */
  graceMs: number;
}

export interface AdoptRecord {
  spec: InstanceSpec;
  pid: number;
  pidStartTime: string;
  port: number;
  restarts: number;
}

export interface WorkloadDriver {
  readonly kind: 'process' | 'docker' | 'kubernetes';
  /** Starts an instance; resolves once the process is spawned (not when it is ready). */
  start(spec: InstanceSpec): Promise<InstanceInfo>;
  /** Stops an instance for good (no restart): SIGTERM to its process group, SIGKILL after graceMs. */
  stop(id: string, opts: StopOptions): Promise<void>;
  /** Kills and starts the instance again (e.g. after liveness failures), counting a restart. */
  restart(id: string, reason: string): Promise<void>;
  /**
   * Takes over an instance left running by a previous server process. Returns undefined when the
   * process is gone (or the pid now belongs to another process).
   */
  adopt(rec: AdoptRecord): Promise<InstanceInfo | undefined>;
  /** Kills a leftover process (by pid and start time) that is not to be adopted. */
  reap(pid: number, pidStartTime: string, graceMs: number): Promise<void>;
  get(id: string): InstanceInfo | undefined;
  list(): InstanceInfo[];
  /** Recent output of an instance (bounded buffer, oldest first). */
  recentLogs(id: string, limit?: number): LogLine[];
  subscribe(fn: (e: RuntimeEvent) => void): () => void;
  /** Stops supervising. With `stopInstances`, stops every instance first; otherwise leaves them running for adoption. */
  close(opts: { stopInstances: boolean; graceMs: number }): Promise<void>;
}
