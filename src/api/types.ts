// Request and response bodies of the HTTP API (/api/v1/openapi.json), shared with the CLI's typed client.
// Everything here is JSON; timestamps are ISO-8601 strings.

import type { PolicyDecision } from '../policy/types.ts';
import type {
  EnvironmentEventRecord,
  InstanceState,
  ReleaseEventRecord,
  ReleaseKind,
  ReleaseRecord,
  ReleaseState,
  ReleaseTriggerRecord,
} from '../store/types.ts';

export type { EnvironmentEventRecord, ReleaseEventRecord, ReleaseKind, ReleaseRecord, ReleaseState };

/** Every 4xx/5xx body. */
export interface ApiErrorBody {
  error: { code: string; message: string; hint?: string; details?: Record<string, unknown> };
}

export interface HealthBody {
  status: 'pass' | 'warn' | 'fail';
  version: string;
  releaseId?: string;
  checks: Record<string, Array<{ status: 'pass' | 'warn' | 'fail'; output?: string; time: string }>>;
}

export interface InstanceView {
  id: string;
  environment: string;
  version: string;
  state: InstanceState;
  /** Passing readiness and receiving traffic. */
  ready: boolean;
  /** What runs the instance, as its runtime describes it (process: pid and start time; docker: container id). */
  handle: ({ readonly driver: string } & Record<string, unknown>) | null;
  /** The same for people: `pid 4242`, `docker 3f9a2c…`; null while nothing runs. */
  runtimeRef: string | null;
  port: number | null;
  restarts: number;
  startedAt: string | null;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  lastProbe: { ok: boolean; detail: string; at: string } | null;
}

export interface EnvironmentView {
  service: string;
  name: string;
  /** Public address of the environment's proxy listener, e.g. http://127.0.0.1:8080 */
  url: string;
  listen: string;
  currentVersion: string | null;
  currentReleaseId: string | null;
  strategy: 'rolling' | 'canary';
  desiredInstances: number;
  readyInstances: number;
  instances: InstanceView[];
  activeRelease: ReleaseRecord | null;
  track: { branch?: string[]; tag?: string[] } | null;
  requires: { passed?: string; error_budget?: number } | null;
}

/** POST /api/v1/config/reload */
export interface ConfigReloadResponse {
  reloaded: {
    file: string;
    /** Sections applied (`service:section` on a server with several services). */
    applied: string[];
    added?: string[];
    removed?: string[];
    services?: Array<{ service: string; file: string; applied: string[] }>;
  };
}

/** GET /api/v1/status[?environment=] */
export interface StatusBody {
  service: string;
  server: { version: string; startedAt: string; dataDir: string };
  environments: EnvironmentView[];
}

/** GET /api/v1/versions */
export interface VersionView {
  service: string;
  version: string;
  artifactKind: 'dir' | 'image';
  /** Image versions: `repo@sha256:…`, the bytes every release of the version runs. */
  image?: string;
  /** Image versions: the digest (`sha256:…`) pulled when the version was recorded. */
  digest?: string;
  /** Directory versions: SHA-256 of the uploaded archive; image versions: the digest's hex. */
  sha256: string | null;
  sizeBytes: number | null;
  gitRef: string | null;
  gitCommit: string | null;
  createdAt: string;
}

/** GET /api/v1/versions */
export interface VersionListResponse {
  versions: VersionView[];
}

/**
 * POST /api/v1/versions/:version/artifact — body: the .tar.gz (Content-Type application/gzip or
 * application/octet-stream). Query: ref?, commit?. 201 on create; 200 when the same bytes
 * (same sha256) were already uploaded; 409 VERSION_EXISTS when the version exists with other bytes.
 */
export interface UploadArtifactResponse {
  version: VersionView;
  created: boolean;
  /** Triggers (GitHub pushes waiting for this version) the upload started or refused. */
  triggered?: ReleaseTriggerRecord[];
}

/** POST /api/v1/releases — exactly one of environment / ref. */
export interface CreateReleaseRequest {
  environment?: string;
  /** Git ref (refs/heads/main, refs/tags/v1.2.3): the environment is chosen by the `track` rules. */
  ref?: string;
  version: string;
  /**
   * Runtime docker: the image of a version not recorded yet (default run.image:<version>); it is
   * pulled and its digest recorded before anything stops. A process server answers 422 RUNTIME_UNAVAILABLE.
   */
  image?: string;
  /** Start despite a closed window, a freeze or the scan gate (admin only; recorded with its reason). */
  override?: PolicyOverride;
}

export interface PolicyOverride {
  reason: string;
}

/** POST /api/v1/promote */
export interface PromoteRequest {
  from: string;
  to: string;
  /** Defaults to the version currently serving in `from`. */
  version?: string;
  override?: PolicyOverride;
}

/** POST /api/v1/rollback */
export interface RollbackRequest {
  environment: string;
  /** Defaults to the newest version that succeeded in the environment before the current one. */
  to?: string;
  override?: PolicyOverride;
}

/** 201 body of releases, promote and rollback. */
export interface ReleaseResponse {
  release: ReleaseRecord;
  /** How the environment was chosen, e.g. "ref refs/tags/v2 matches production track.tag v*". */
  chosenBy?: string;
  /** The release policy's decision, when the environment has rules (or the request an override). */
  policy?: PolicyDecision | null;
}

/** GET /api/v1/releases?environment=&limit= */
export interface ReleaseListResponse {
  releases: ReleaseRecord[];
}

/** GET /api/v1/releases/:id */
export interface ReleaseDetailResponse {
  release: ReleaseRecord;
  events: ReleaseEventRecord[];
  policy?: PolicyDecision | null;
}

/**
 * GET /api/v1/releases/:id/events?after=SEQ — JSON list; with `Accept: text/event-stream` an SSE
 * stream: each event `event: release-event`, `id: <seq>`, `data: <ReleaseEventRecord JSON>`; after
 * the release reaches a terminal state, one final `event: end` with `data: <ReleaseRecord JSON>`
 * and the stream closes. Honors `Last-Event-ID`.
 */
export interface ReleaseEventsResponse {
  events: ReleaseEventRecord[];
}

/** GET /api/v1/events?environment=&instance=&limit= — newest first. */
export interface EnvironmentEventsResponse {
  events: EnvironmentEventRecord[];
}

/** GET /api/v1/instances?environment= */
export interface InstanceListResponse {
  instances: InstanceView[];
}

/** GET /api/v1/instances/:id/logs?limit= — the instance's recent output (bounded buffer). */
export interface InstanceLogsResponse {
  instance: string;
  lines: Array<{ at: string; stream: 'stdout' | 'stderr'; line: string }>;
}

export const TERMINAL_RELEASE_STATES: readonly ReleaseState[] = [
  'succeeded',
  'failed',
  'aborted',
  'rolled_back',
];

// ---- Canary releases -------------------------------------------------------------------------

/**
 * POST /api/v1/releases/:id/{abort|pause|resume|promote} → 200 ReleaseActionResponse.
 * abort: roll back now; pause: hold at the current weight (analysis keeps running, a fail still
 * rolls back); resume: continue; promote: skip the remaining steps and promote now.
 * 409 INVALID_RELEASE_STATE when the release is finished or the action does not apply.
 */
export type ReleaseAction = 'abort' | 'pause' | 'resume' | 'promote';

export interface ReleaseActionRequest {
  /** Why, recorded with the action in the release's events. */
  reason?: string;
}

export interface ReleaseActionResponse {
  release: ReleaseRecord;
}

/** One side of a verdict. Latencies in ms. */
export interface VerdictSide {
  version: string;
  requests: number;
  /** 5xx answers and their share. */
  errors: number;
  errorRate: number;
  /** 4xx answers and their share (absent in verdicts recorded before 4xx were judged). */
  clientErrors?: number;
  clientErrorRate?: number;
  p50: number | null;
  p99: number | null;
}

/** `data` of a release event of type 'canary.step': the canary moved to a step. */
export interface CanaryStepEventData {
  step: number; // 1-based
  steps: number;
  weight: number; // % of traffic on the canary
  pauseMs: number | null;
  /** When the step's pause ends (analysis may hold it longer while inconclusive). */
  stepEndsAt: string | null;
  checks: string[];
}

/** `data` of a release event of type 'verdict': one analysis of the canary against the stable version. */
export interface VerdictEventData {
  step: number;
  steps: number;
  weight: number;
  phase: 'pass' | 'inconclusive' | 'fail';
  summary: string;
  canary: VerdictSide;
  baseline: VerdictSide | null;
  checks: Array<{
    name: string;
    phase: 'pass' | 'inconclusive' | 'fail';
    message: string;
    data: Record<string, number | string | null>;
  }>;
  window: { from: string; to: string };
  stepEndsAt: string | null;
  /** True for the verdict that decided the step (or the release). */
  decisive: boolean;
}

/** `data` of a release event of type 'check': a step's configured check ran against the canary. */
export interface CheckEventData {
  step: number;
  check: string;
  ok: boolean;
  message: string;
}

/** `data` of a release event of type 'control': an operator acted on the release. */
export interface ControlEventData {
  action: ReleaseAction;
  reason: string | null;
  by: string | null;
}

// ---- Metrics ---------------------------------------------------------------------------------

/**
 * GET /api/v1/metrics?environment=&version=&metric=&from=&to=&step= — from/to as ISO-8601 or
 * relative (`-1h`, `now`), step as a duration (`10s`). One series per version when version is absent.
 */
export interface MetricsQueryResponse {
  series: Array<{
    environment: string;
    version: string;
    metric: string;
    points: Array<[number, number | null]>;
  }>;
}
