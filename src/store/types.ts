// Records and repository interfaces of the store (DESIGN §8). Callers depend on these only;
// the SQLite and PostgreSQL dialects implement them.

export type ReleaseState =
  | 'pending' // recorded, nothing started yet
  | 'starting' // new instances being started
  | 'verifying' // waiting for new instances to become ready
  | 'switching' // traffic moving to the new version (environment's current version already recorded as new)
  | 'draining' // old instances draining and stopping
  | 'progressing' // canary: stepping through its traffic weights under analysis
  | 'paused' // canary: held by an operator at its current weight
  | 'promoting' // canary: scaling the new version to full size before switching
  | 'rolling_back' // canary: traffic back on stable, canary instances draining
  | 'succeeded'
  | 'failed' // new version never served; old version untouched
  | 'aborted'
  | 'rolled_back';

export const ACTIVE_RELEASE_STATES: readonly ReleaseState[] = [
  'pending',
  'starting',
  'verifying',
  'switching',
  'draining',
  'progressing',
  'paused',
  'promoting',
  'rolling_back',
];

export type ReleaseKind = 'deploy' | 'release' | 'promote' | 'rollback' | 'restart';

export interface ServiceRecord {
  name: string;
  createdAt: string; // ISO-8601
}

export interface EnvironmentRecord {
  service: string;
  name: string;
  currentVersion: string | null;
  currentReleaseId: string | null;
  updatedAt: string;
}

export interface VersionRecord {
  service: string;
  version: string;
  /** 'dir': an unpacked artifact directory under the data dir; 'image': a container image reference. */
  artifactKind: 'dir' | 'image';
  /** Directory path (relative to the data dir) or image reference. */
  artifactRef: string;
  sha256: string | null;
  sizeBytes: number | null;
  /** Git ref and commit this version was built from, when known. */
  gitRef: string | null;
  gitCommit: string | null;
  createdAt: string;
}

export interface ReleaseRecord {
  id: string; // e.g. rel_01J...
  service: string;
  environment: string;
  kind: ReleaseKind;
  version: string;
  previousVersion: string | null;
  strategy: 'rolling' | 'canary';
  state: ReleaseState;
  /** Machine reason for the last transition (e.g. 'NotReady', 'Interrupted'). */
  reason: string | null;
  /** Human message for the last transition, with numbers. */
  message: string | null;
  /** Durable plan/progress of the state machine: instance ids started, stopped, current step… */
  plan: ReleasePlan;
  ref: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface ReleasePlan {
  newInstanceIds: string[];
  oldInstanceIds: string[];
  /** Canary: index of the current step (0-based), number of steps, weight on the canary, step start. */
  step?: number;
  steps?: number;
  weight?: number;
  stepStartedAt?: string;
  [key: string]: unknown;
}

export interface ReleaseEventRecord {
  releaseId: string;
  seq: number; // 1, 2, 3… per release
  at: string;
  type: string; // e.g. 'state', 'instance.started', 'instance.ready', 'log', 'verdict'
  state: ReleaseState | null;
  message: string;
  data: Record<string, unknown> | null;
}

export type InstanceState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface InstanceRecord {
  id: string; // e.g. production-v2-3f9a
  service: string;
  environment: string;
  version: string;
  releaseId: string | null;
  runtime: 'process' | 'docker' | 'kubernetes';
  state: InstanceState;
  pid: number | null;
  /** Process start time (clock ticks since boot, /proc/<pid>/stat field 22) so a reused pid is not adopted. */
  pidStartTime: string | null;
  port: number | null;
  restarts: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewRelease {
  id: string;
  service: string;
  environment: string;
  kind: ReleaseKind;
  version: string;
  previousVersion: string | null;
  strategy: 'rolling' | 'canary';
  ref: string | null;
  createdBy: string | null;
  plan: ReleasePlan;
}

/** Thrown by releases.create when the environment already has an active release. */
export class ReleaseConflictError extends Error {
  readonly activeReleaseId: string;
  constructor(activeReleaseId: string, environment: string) {
    super(`environment ${environment} already has release ${activeReleaseId} in progress`);
    this.name = 'ReleaseConflictError';
    this.activeReleaseId = activeReleaseId;
  }
}

export interface ServiceRepo {
  upsert(name: string): Promise<void>;
  list(): Promise<ServiceRecord[]>;
}

export interface EnvironmentRepo {
  /** Creates the row if missing (current version null); never overwrites an existing current version. */
  ensure(service: string, name: string): Promise<void>;
  get(service: string, name: string): Promise<EnvironmentRecord | undefined>;
  list(service: string): Promise<EnvironmentRecord[]>;
}

export interface VersionRepo {
  /** Inserts; throws if (service, version) exists. */
  create(v: Omit<VersionRecord, 'createdAt'>): Promise<VersionRecord>;
  get(service: string, version: string): Promise<VersionRecord | undefined>;
  list(service: string, limit?: number): Promise<VersionRecord[]>;
}

/** A release's move to a new state, written with its event in one transaction. */
export interface TransitionInput {
  state: ReleaseState;
  /** Machine reason (e.g. 'NotReady'); the human message says the same with numbers. */
  reason?: string | null;
  message: string;
  plan?: ReleasePlan;
  data?: Record<string, unknown>;
  /** Also make this the environment's current version (the switch point). */
  setCurrentVersion?: string;
}

export interface ReleaseRepo {
  /**
   * Inserts a release in state 'pending' and its first event, atomically refusing a second active
   * release for the same (service, environment) with ReleaseConflictError.
   */
  create(r: NewRelease): Promise<ReleaseRecord>;
  get(id: string): Promise<ReleaseRecord | undefined>;
  /**
   * Writes a state transition and its event in one transaction. When `setCurrentVersion` is given,
   * the environment's current version and release are set in the same transaction.
   */
  transition(id: string, t: TransitionInput): Promise<ReleaseRecord>;
  /** Updates the plan only (progress that is not a state change), with an event. */
  savePlan(
    id: string,
    plan: ReleasePlan,
    event?: { type: string; message: string; data?: Record<string, unknown> },
  ): Promise<void>;
  appendEvent(
    id: string,
    e: { type: string; message: string; data?: Record<string, unknown> },
  ): Promise<ReleaseEventRecord>;
  events(id: string, afterSeq?: number): Promise<ReleaseEventRecord[]>;
  list(q: {
    service: string;
    environment?: string;
    limit?: number;
    before?: string;
  }): Promise<ReleaseRecord[]>;
  listActive(service?: string): Promise<ReleaseRecord[]>;
  /** Versions that reached 'succeeded' in an environment, newest first. */
  succeededVersions(service: string, environment: string, limit?: number): Promise<string[]>;
}

export interface InstanceRepo {
  upsert(i: Omit<InstanceRecord, 'createdAt' | 'updatedAt'>): Promise<void>;
  get(id: string): Promise<InstanceRecord | undefined>;
  list(q?: { service?: string; environment?: string }): Promise<InstanceRecord[]>;
  remove(id: string): Promise<void>;
}

/** Something that happened in an environment outside a release (a crash, a restart, a probe). */
export interface EnvironmentEventRecord {
  id: string;
  service: string;
  environment: string;
  instance: string | null;
  version: string | null;
  type: string; // 'instance.exited' | 'instance.restarted' | 'instance.ready' | 'instance.unready' | …
  message: string;
  data: Record<string, unknown> | null;
  at: string;
}

export interface EnvironmentEventRepo {
  append(e: Omit<EnvironmentEventRecord, 'id' | 'at'>): Promise<EnvironmentEventRecord>;
  /** Newest first. */
  list(q: {
    service: string;
    environment?: string;
    instance?: string;
    limit?: number;
  }): Promise<EnvironmentEventRecord[]>;
  /** Deletes events older than `before` (ISO-8601); returns how many. */
  prune(before: string): Promise<number>;
}

/** Request statistics of one (environment, version) over one minute (DESIGN §7). */
export interface MetricRollupRecord {
  service: string;
  environment: string;
  version: string;
  /** Start of the minute, ISO-8601 UTC with milliseconds. */
  minute: string;
  requests: number;
  c2xx: number;
  c3xx: number;
  c4xx: number;
  c5xx: number;
  clientAborts: number;
  latencySumMs: number;
  /** The minute's latency sketch, serialized by the metrics engine (opaque to the store). */
  sketch: string;
}

export interface MetricRollupRepo {
  /**
   * Inserts each minute's row; when a row for the same (service, environment, version, minute)
   * exists already (a minute flushed at stop, then continued), replaces it with `merge(existing, row)`.
   */
  add(
    rows: MetricRollupRecord[],
    merge: (existing: MetricRollupRecord, row: MetricRollupRecord) => MetricRollupRecord,
  ): Promise<void>;
  /** Rows with minute in [from, to) (ISO-8601), oldest first. */
  list(q: {
    service: string;
    environment: string;
    version?: string;
    from: string;
    to: string;
  }): Promise<MetricRollupRecord[]>;
  /** Deletes rows whose minute is before `before` (ISO-8601); returns how many. */
  prune(before: string): Promise<number>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  services: ServiceRepo;
  environments: EnvironmentRepo;
  versions: VersionRepo;
  releases: ReleaseRepo;
  instances: InstanceRepo;
  events: EnvironmentEventRepo;
  metrics: MetricRollupRepo;
  /** Cheap round trip used by /readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
