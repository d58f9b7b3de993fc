// Releases: their states, plans and events, and the repository that moves them from state to state.

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
    version?: string;
    limit?: number;
    before?: string;
  }): Promise<ReleaseRecord[]>;
  listActive(service?: string): Promise<ReleaseRecord[]>;
  /** Versions that reached 'succeeded' in an environment, newest first. */
  succeededVersions(service: string, environment: string, limit?: number): Promise<string[]>;
}
