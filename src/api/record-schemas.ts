// zod schemas of the records and views several answers of the API carry: releases and their events,
// environment events, push triggers, policy decisions, versions, instances and environments. Each
// schema of a store or policy record is typed by that record, so a field added to the record and not
// here fails to compile; the API test validates real answers against them, so a field here and not
// in the answer fails there.
import { z } from 'zod';
import { ROLES, type Role } from '../auth/types.ts';
import type { PolicyDecision } from '../policy/types.ts';
import type {
  EnvironmentEventRecord,
  ReleaseEventRecord,
  ReleaseRecord,
  ReleaseState,
  ReleaseTriggerRecord,
  WebhookDeliveryRecord,
} from '../store/types.ts';
import { isoTime } from './route-doc.ts';

const RELEASE_STATES = [
  'pending',
  'starting',
  'verifying',
  'switching',
  'draining',
  'progressing',
  'paused',
  'promoting',
  'rolling_back',
  'succeeded',
  'failed',
  'aborted',
  'rolled_back',
] as const satisfies readonly ReleaseState[];

const releaseState = z.enum(RELEASE_STATES);
const data = z.record(z.string(), z.unknown());

export const releaseRecordSchema: z.ZodType<ReleaseRecord> = z.object({
  id: z.string(),
  service: z.string(),
  environment: z.string(),
  kind: z.enum(['deploy', 'release', 'promote', 'rollback', 'restart']),
  version: z.string(),
  previousVersion: z.string().nullable(),
  strategy: z.enum(['rolling', 'canary']),
  state: releaseState,
  reason: z.string().nullable(),
  message: z.string().nullable(),
  plan: z
    .object({
      newInstanceIds: z.array(z.string()),
      oldInstanceIds: z.array(z.string()),
      step: z.number().optional(),
      steps: z.number().optional(),
      weight: z.number().optional(),
      stepStartedAt: isoTime.optional(),
    })
    .catchall(z.unknown()),
  ref: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  finishedAt: isoTime.nullable(),
});

export const releaseEventSchema: z.ZodType<ReleaseEventRecord> = z.object({
  releaseId: z.string(),
  seq: z.number().int(),
  at: isoTime,
  type: z.string().meta({ description: 'state, instance.started, instance.ready, log, verdict, policy…' }),
  state: releaseState.nullable(),
  message: z.string(),
  data: data.nullable(),
});

export const environmentEventSchema: z.ZodType<EnvironmentEventRecord> = z.object({
  id: z.string(),
  service: z.string(),
  environment: z.string(),
  instance: z.string().nullable(),
  version: z.string().nullable(),
  type: z.string().meta({ description: 'instance.exited, instance.restarted, instance.ready…' }),
  message: z.string(),
  data: data.nullable(),
  at: isoTime,
});

export const releaseTriggerSchema: z.ZodType<ReleaseTriggerRecord> = z.object({
  id: z.string(),
  service: z.string(),
  environment: z.string(),
  version: z.string(),
  ref: z.string(),
  commit: z.string(),
  deliveryId: z.string(),
  pusher: z.string().nullable(),
  state: z.enum(['pending', 'starting', 'released', 'superseded', 'expired', 'refused']),
  message: z.string(),
  releaseId: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  expiresAt: isoTime,
});

export const webhookDeliverySchema: z.ZodType<WebhookDeliveryRecord> = z.object({
  id: z.string(),
  source: z.literal('github'),
  event: z.string(),
  receivedAt: isoTime,
  outcome: z.enum(['received', 'pong', 'ignored', 'released', 'pending', 'refused']),
  message: z.string(),
  ref: z.string().nullable(),
  commit: z.string().nullable(),
  triggerId: z.string().nullable(),
  releaseId: z.string().nullable(),
});

export const policyDecisionSchema: z.ZodType<PolicyDecision> = z.object({
  environment: z.string(),
  version: z.string(),
  kind: z.string(),
  evaluatedAt: isoTime,
  outcome: z.enum(['passed', 'refused', 'overridden']),
  rules: z.array(
    z.object({
      rule: z.enum(['requires', 'window', 'freeze', 'scan', 'error_budget']),
      outcome: z.enum(['pass', 'refuse', 'waived']),
      message: z.string(),
      details: data.optional(),
    }),
  ),
  override: z
    .object({
      reason: z.string(),
      by: z.string(),
      actorId: z.string(),
      role: z.enum(ROLES as [Role, ...Role[]]),
      applied: z.boolean(),
    })
    .nullable(),
});

export const versionViewSchema = z.object({
  service: z.string(),
  version: z.string(),
  artifactKind: z.enum(['dir', 'image']),
  image: z
    .string()
    .optional()
    .meta({ description: 'Image versions: `repo@sha256:…`, the bytes every release of the version runs.' }),
  digest: z
    .string()
    .optional()
    .meta({ description: 'Image versions: the digest (`sha256:…`) pulled when the version was recorded.' }),
  sha256: z.string().nullable().meta({
    description: "Directory versions: SHA-256 of the uploaded archive; image versions: the digest's hex.",
  }),
  sizeBytes: z.number().nullable(),
  gitRef: z.string().nullable(),
  gitCommit: z.string().nullable(),
  createdAt: isoTime,
});

export const instanceViewSchema = z.object({
  id: z.string(),
  environment: z.string(),
  version: z.string(),
  state: z.enum(['starting', 'running', 'backoff', 'stopping', 'stopped', 'failed']),
  ready: z.boolean().meta({ description: 'Passing readiness and receiving traffic.' }),
  handle: z.object({ driver: z.string() }).catchall(z.unknown()).nullable().meta({
    description:
      'What runs the instance, as its runtime describes it (process: pid and start time; docker: container id).',
  }),
  runtimeRef: z
    .string()
    .nullable()
    .meta({ description: 'The same for people: `pid 4242`, `docker 3f9a2c…`; null while nothing runs.' }),
  port: z.number().int().nullable(),
  restarts: z.number().int(),
  startedAt: isoTime.nullable(),
  lastExit: z
    .object({ code: z.number().int().nullable(), signal: z.string().nullable(), at: isoTime })
    .nullable(),
  lastProbe: z.object({ ok: z.boolean(), detail: z.string(), at: isoTime }).nullable(),
});

export const environmentViewSchema = z.object({
  service: z.string(),
  name: z.string(),
  url: z
    .string()
    .meta({ description: "Public address of the environment's proxy listener, e.g. http://127.0.0.1:8080" }),
  listen: z.string(),
  currentVersion: z.string().nullable(),
  currentReleaseId: z.string().nullable(),
  strategy: z.enum(['rolling', 'canary']),
  desiredInstances: z.number().int(),
  readyInstances: z.number().int(),
  instances: z.array(instanceViewSchema),
  activeRelease: releaseRecordSchema.nullable(),
  track: z.object({ branch: z.array(z.string()).optional(), tag: z.array(z.string()).optional() }).nullable(),
  requires: z.object({ passed: z.string().optional(), error_budget: z.number().optional() }).nullable(),
});
