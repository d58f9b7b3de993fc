// Request and response bodies of the HTTP API (/api/v1/openapi.json), shared with the CLI's typed client.
// Everything here is JSON; timestamps are ISO-8601 strings. The answers' types are inferred from the
// zod schemas the OpenAPI document is generated from (core-routes.ts, record-schemas.ts).

import type { z } from 'zod';
import type {
  EnvironmentEventRecord,
  ReleaseEventRecord,
  ReleaseKind,
  ReleaseRecord,
  ReleaseState,
} from '../store/types.ts';
import type { coreResponses, schemas } from './core-routes.ts';
import type { environmentViewSchema, instanceViewSchema, versionViewSchema } from './record-schemas.ts';
import type { errorBodySchema } from './route-doc.ts';

export type { EnvironmentEventRecord, ReleaseEventRecord, ReleaseKind, ReleaseRecord, ReleaseState };

/** Every 4xx/5xx body. */
export type ApiErrorBody = z.infer<typeof errorBodySchema>;

/** GET /health and /readiness (application/health+json). */
export type HealthBody = z.infer<typeof coreResponses.health>;

export type InstanceView = z.infer<typeof instanceViewSchema>;

export type EnvironmentView = z.infer<typeof environmentViewSchema>;

/** GET /api/v1/services */
export type ServiceListResponse = z.infer<typeof coreResponses.services>;

/** GET /api/v1/environments */
export type EnvironmentListResponse = z.infer<typeof coreResponses.environments>;

/** GET /api/v1/environments/:name */
export type EnvironmentResponse = z.infer<typeof coreResponses.environment>;

/** POST /api/v1/config/reload */
export type ConfigReloadResponse = z.infer<typeof coreResponses.reload>;

/** GET /api/v1/status[?environment=] */
export type StatusBody = z.infer<typeof coreResponses.status>;

/** GET /api/v1/versions */
export type VersionView = z.infer<typeof versionViewSchema>;

/** GET /api/v1/versions */
export type VersionListResponse = z.infer<typeof coreResponses.versions>;

/**
 * POST /api/v1/versions/:version/artifact — body: the .tar.gz (Content-Type application/gzip or
 * application/octet-stream). Query: ref?, commit?. 201 on create; 200 when the same bytes
 * (same sha256) were already uploaded; 409 VERSION_EXISTS when the version exists with other bytes.
 */
export type UploadArtifactResponse = z.infer<typeof coreResponses.upload>;

/**
 * POST /api/v1/releases — exactly one of environment / ref (a git ref: the environment is chosen by
 * the `track` rules). `image`: runtime docker, the image of a version not recorded yet. `override`:
 * start despite a closed window, a freeze or the scan gate (admin only; recorded with its reason).
 */
export type CreateReleaseRequest = z.input<typeof schemas.createRelease>;

/** POST /api/v1/promote — `version` defaults to the one serving in `from`. */
export type PromoteRequest = z.input<typeof schemas.promote>;

/** POST /api/v1/rollback — `to` defaults to the newest version that succeeded before the current one. */
export type RollbackRequest = z.input<typeof schemas.rollback>;

/** 201 body of releases, promote and rollback. */
export type ReleaseResponse = z.infer<typeof coreResponses.release>;

/** GET /api/v1/releases?environment=&limit= */
export type ReleaseListResponse = z.infer<typeof coreResponses.releases>;

/** GET /api/v1/releases/:id */
export type ReleaseDetailResponse = z.infer<typeof coreResponses.releaseDetail>;

/**
 * GET /api/v1/releases/:id/events?after=SEQ — JSON list; with `Accept: text/event-stream` an SSE
 * stream: each event `event: release-event`, `id: <seq>`, `data: <ReleaseEventRecord JSON>`; after
 * the release reaches a terminal state, one final `event: end` with `data: <ReleaseRecord JSON>`
 * and the stream closes. Honors `Last-Event-ID`.
 */
export type ReleaseEventsResponse = z.infer<typeof coreResponses.releaseEvents>;

/** GET /api/v1/events?environment=&instance=&limit= — newest first. */
export type EnvironmentEventsResponse = z.infer<typeof coreResponses.environmentEvents>;

/** GET /api/v1/instances?environment= */
export type InstanceListResponse = z.infer<typeof coreResponses.instances>;

/** GET /api/v1/instances/:id/logs?limit= — the instance's recent output (bounded buffer). */
export type InstanceLogsResponse = z.infer<typeof coreResponses.instanceLogs>;

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

/** `reason`: why, recorded with the action in the release's events. */
export type ReleaseActionRequest = z.input<typeof schemas.releaseAction>;

export type ReleaseActionResponse = z.infer<typeof coreResponses.releaseAction>;

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

export type { MetricsQueryResponse } from './metrics-routes.ts';
