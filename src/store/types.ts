// Records and repository interfaces of the store. Callers depend on these only;
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

export type StoredHandle = { readonly driver: string } & Record<string, unknown>;

export interface InstanceRecord {
  id: string; // e.g. production-v2-3f9a
  service: string;
  environment: string;
  version: string;
  releaseId: string | null;
  runtime: 'process' | 'docker' | 'kubernetes';
  state: InstanceState;
  /**
   * What runs the instance, as its runtime describes it: opaque outside runtime/, JSON-serialisable,
   * with the driver's kind in `driver`. Null while nothing runs (not started yet, in backoff).
   */
  handle: StoredHandle | null;
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
  /** Records when a commit was made (ISO-8601); the first time recorded for a commit stays. */
  recordCommitTime(service: string, commit: string, committedAt: string): Promise<void>;
  /** Commit times recorded, newest commit first. */
  commitTimes(service: string, limit: number): Promise<Array<{ commit: string; committedAt: string }>>;
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
  /** Newest first; `since`/`until` are ISO-8601 bounds on `at`, inclusive. */
  list(q: {
    service: string;
    environment?: string;
    instance?: string;
    since?: string;
    until?: string;
    limit?: number;
  }): Promise<EnvironmentEventRecord[]>;
  /** Deletes events older than `before` (ISO-8601); returns how many. */
  prune(before: string): Promise<number>;
}

/** Request statistics of one (environment, version) over one minute. */
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

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** An incident of one (service, environment); at most one is open or acknowledged at a time. */
export interface IncidentRecord {
  id: string; // e.g. inc_01J...
  service: string;
  environment: string;
  /** Brief description, e.g. "high-5xx in production". */
  description: string;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  status: IncidentStatus;
  /** Alarms that opened or joined it, in the order they did. */
  alarms: string[];
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  assignee: string | null;
  resolution: string | null;
  rootCause: string | null;
  updatedAt: string;
}

/** One entry of an incident's own timeline (alarm transitions, notifications, acks, notes…). */
export interface IncidentEntryRecord {
  incidentId: string;
  seq: number; // 1, 2, 3… per incident
  at: string;
  type: string; // 'opened' | 'alarm.joined' | 'severity' | 'alarm' | 'notification' | 'ack' | 'assign' | 'note' | 'resolved'
  message: string;
  by: string | null;
  data: Record<string, unknown> | null;
}

/** An entry to append; an entry whose `key` the incident already has is skipped (idempotent replays). */
export interface NewIncidentEntry {
  at: string;
  type: string;
  message: string;
  by?: string | null;
  data?: Record<string, unknown> | null;
  key?: string | null;
}

export interface IncidentChange {
  /** Applied only while the incident is in one of these states; otherwise update returns undefined. */
  ifStatus?: IncidentStatus[];
  set?: Partial<
    Pick<
      IncidentRecord,
      | 'severity'
      | 'status'
      | 'acknowledgedAt'
      | 'acknowledgedBy'
      | 'resolvedAt'
      | 'resolvedBy'
      | 'assignee'
      | 'resolution'
      | 'rootCause'
    >
  >;
  /** An alarm joining the incident (no-op when it is a member already). */
  addAlarm?: string;
  entries?: NewIncidentEntry[];
}

export interface IncidentRepo {
  /**
   * Opens an incident with its first entries, unless (service, environment) already has an open or
   * acknowledged one: then nothing is written and that one comes back with opened false.
   */
  open(
    i: Pick<IncidentRecord, 'id' | 'service' | 'environment' | 'description' | 'severity' | 'openedAt'> & {
      alarm: string;
    },
    entries: NewIncidentEntry[],
  ): Promise<{ incident: IncidentRecord; opened: boolean }>;
  get(id: string): Promise<IncidentRecord | undefined>;
  /** The open or acknowledged incident of (service, environment), if any. */
  findActive(service: string, environment: string): Promise<IncidentRecord | undefined>;
  /** Newest first. `since`: opened at or after (ISO-8601). */
  list(q: {
    service?: string;
    environment?: string;
    status?: IncidentStatus[];
    since?: string;
    limit?: number;
  }): Promise<IncidentRecord[]>;
  /** Applies a change in one transaction; undefined when the ifStatus guard did not hold. */
  update(id: string, change: IncidentChange): Promise<IncidentRecord | undefined>;
  /** Oldest first. */
  entries(id: string): Promise<IncidentEntryRecord[]>;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type DeliveryKind = 'firing' | 'resolved' | 'repeat' | 'acknowledge';

/** One notification to one channel of one notify group: a row of the outbox, written before it is sent. */
export interface DeliveryRecord {
  /** Deterministic (e.g. `<transition id>:<receiver>:<channel index>`), so it is never inserted twice. */
  id: string;
  groupKey: string;
  service: string;
  alarm: string;
  environment: string;
  /** Notify group name (gantry.yaml `notify:` key). */
  receiver: string;
  channelIndex: number;
  channelType: string;
  kind: DeliveryKind;
  /** The notification as the channels render it (JSON without secrets); owned by the notify module. */
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  /** The worker sending it, until `claimedUntil`; null when nobody holds it. */
  claimedBy: string | null;
  claimedUntil: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export type NewDelivery = Pick<
  DeliveryRecord,
  | 'id'
  | 'groupKey'
  | 'service'
  | 'alarm'
  | 'environment'
  | 'receiver'
  | 'channelIndex'
  | 'channelType'
  | 'kind'
  | 'payload'
  | 'nextAttemptAt'
  | 'createdAt'
>;

/** The outcome of one attempt, written only while `owner` still holds the row. */
export interface DeliveryAttempt {
  owner: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  deliveredAt: string | null;
  at: string;
}

/** What the receivers of one alert group were told (Alertmanager's notification log), for de-duplication. */
export interface AlertGroupRecord {
  groupKey: string;
  service: string;
  alarm: string;
  environment: string;
  status: 'firing' | 'resolved';
  /** Id of the transition that started the current (or last) firing. */
  episodeId: string;
  /** The alert as last built (JSON); owned by the notify module. */
  alert: unknown;
  /** Notify groups of the rule. */
  receivers: string[];
  /** The status the receivers were last told, null before the first notification. */
  notified: 'firing' | 'resolved' | null;
  lastNotifiedAt: string | null;
  /** Repeat notifications sent in the current firing. */
  repeats: number;
  ackedAt: string | null;
  ackedBy: string | null;
  updatedAt: string;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
}

export interface SilenceRecord {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface OutboxRepo {
  /** Pending deliveries (of one service when given), oldest first. */
  pending(limit: number, service?: string): Promise<DeliveryRecord[]>;
  /** Takes a pending row for `owner` until `until`, unless another worker holds it; true when taken. */
  claim(id: string, owner: string, until: string, now: string): Promise<boolean>;
  /** Frees every claim (a restarted single server: the holders are gone); returns how many. */
  releaseClaims(): Promise<number>;
  /** Records an attempt and frees the claim; false when `owner` no longer held the row. */
  finish(id: string, attempt: DeliveryAttempt): Promise<boolean>;
  get(id: string): Promise<DeliveryRecord | undefined>;
  /** Newest first. */
  list(q: { limit?: number; status?: DeliveryStatus; service?: string }): Promise<DeliveryRecord[]>;
}

export interface AlertLogRepo {
  /**
   * Saves a group's state and inserts its new deliveries in one transaction; a delivery whose id
   * exists already is left as it is. Returns the ids inserted.
   */
  commit(group: AlertGroupRecord, deliveries: NewDelivery[]): Promise<string[]>;
  get(groupKey: string): Promise<AlertGroupRecord | undefined>;
  list(q?: { status?: 'firing' | 'resolved' }): Promise<AlertGroupRecord[]>;
}

export interface SilenceRepo {
  create(s: SilenceRecord): Promise<SilenceRecord>;
  get(id: string): Promise<SilenceRecord | undefined>;
  /** Newest first; `endsAfter` keeps those ending after that time (ISO-8601). */
  list(q?: { endsAfter?: string; limit?: number }): Promise<SilenceRecord[]>;
  /** Sets endsAt (and updatedAt); undefined when no such silence. */
  end(id: string, endsAt: string, at: string): Promise<SilenceRecord | undefined>;
}

/** The notification pipeline's persistent state. */
export interface NotificationRepos {
  outbox: OutboxRepo;
  alerts: AlertLogRepo;
  silences: SilenceRepo;
}

export type AlarmStateName = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** The persisted state of one alarm: what a restarted server starts from. */
export interface AlarmStateRecord {
  service: string;
  alarm: string;
  environment: string;
  metric: string;
  state: AlarmStateName;
  /** When it entered that state (ISO-8601). */
  since: string;
  reason: string;
  lastTransitionId: string | null;
}

/** One transition of an alarm, as recorded (the same fields as alarms' AlarmTransition). */
export interface AlarmTransitionRecord {
  id: string;
  service: string;
  alarm: string;
  environment: string;
  metric: string;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  from: AlarmStateName;
  to: AlarmStateName;
  at: string;
  reason: string;
  datapoints: Array<number | null>;
  threshold: { above?: number; below?: number };
  notify: string[];
  runbook: string | null;
  description: string | null;
}

export interface AlarmRepo {
  /** Every persisted alarm state of a service. */
  states(service: string): Promise<AlarmStateRecord[]>;
  /** Appends the transition to the history and sets the alarm's state, in one transaction. */
  recordTransition(t: AlarmTransitionRecord): Promise<void>;
  /** Forgets the state of an alarm removed from the config (its history stays). */
  removeState(service: string, alarm: string, environment: string): Promise<void>;
  /** Newest first. */
  history(q: {
    service: string;
    alarm?: string;
    environment?: string;
    limit?: number;
  }): Promise<AlarmTransitionRecord[]>;
  /** Deletes history older than `before` (ISO-8601); returns how many. */
  prune(before: string): Promise<number>;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One captured line of an instance's output, parsed and redacted, as stored. */
export interface LogRecord {
  /** Increasing in insertion order: the search cursor. */
  id: number;
  /** '' for lines stored before lines named their service. */
  service: string;
  at: string; // ISO-8601
  environment: string;
  version: string;
  instance: string;
  stream: 'stdout' | 'stderr';
  level: LogLevel | null;
  message: string;
  fields: Record<string, unknown> | null;
  /** The line as printed (redacted). */
  raw: string;
}

export type NewLogLine = Omit<LogRecord, 'id' | 'service'> & { service?: string };

export interface LogSearchQuery {
  /** This service's lines, and those stored before lines named a service. */
  service?: string;
  environment?: string;
  version?: string;
  instance?: string;
  /** Minimum level; lines without a level are left out when given. */
  level?: LogLevel;
  /** Full text: words (all must match), "quoted phrases", word* prefixes. */
  q?: string;
  since?: string; // ISO-8601, inclusive
  until?: string; // ISO-8601, exclusive
  /** Only lines with id < before (the cursor of the next page). */
  before?: number;
  /** Only lines with id > after (resuming a tail). */
  after?: number;
  limit: number;
}

export interface LogRepo {
  /** Inserts the lines in one transaction; returns their ids in the same order. */
  append(lines: NewLogLine[]): Promise<number[]>;
  /** Newest first (by id). */
  search(q: LogSearchQuery): Promise<LogRecord[]>;
  /**
   * What retention counts: the sum of the stored lines' sizes (bytes of their text columns). With
   * a service, this and the prunes count that service's lines and those that name none.
   */
  totalBytes(service?: string): Promise<number>;
  /** Deletes lines captured before `before` (ISO-8601). */
  pruneBefore(before: string, service?: string): Promise<{ lines: number; bytes: number }>;
  /** Deletes the oldest lines until at least `bytes` are freed. */
  pruneOldest(bytes: number, service?: string): Promise<{ lines: number; bytes: number }>;
  /**
   * Gives `level` to the newest `limit` lines of `instance` on `stream` captured at or after
   * `since` (ISO-8601) that have no level; returns how many changed.
   */
  levelUnlevelled(q: {
    instance: string;
    stream: 'stdout' | 'stderr';
    since: string;
    limit: number;
    level: LogLevel;
  }): Promise<number>;
}

/** What became of a verified webhook delivery (a forged one is never recorded). */
export type DeliveryOutcome = 'received' | 'pong' | 'ignored' | 'released' | 'pending' | 'refused';

/** A webhook delivery whose signature verified; its id (`X-GitHub-Delivery`) guards against replays. */
export interface WebhookDeliveryRecord {
  id: string;
  source: 'github';
  event: string;
  receivedAt: string;
  outcome: DeliveryOutcome;
  message: string;
  ref: string | null;
  commit: string | null;
  triggerId: string | null;
  releaseId: string | null;
}

export type TriggerState = 'pending' | 'starting' | 'released' | 'superseded' | 'expired' | 'refused';

/** A push that should release a version to an environment, once that version is uploaded. */
export interface ReleaseTriggerRecord {
  id: string; // trg_…
  service: string;
  environment: string;
  version: string;
  ref: string;
  commit: string;
  deliveryId: string;
  pusher: string | null;
  state: TriggerState;
  message: string;
  releaseId: string | null;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export interface TriggerRepo {
  /** Inserts a delivery; undefined (and nothing written) when its id was recorded before. */
  recordDelivery(d: Omit<WebhookDeliveryRecord, 'receivedAt'>): Promise<WebhookDeliveryRecord | undefined>;
  finishDelivery(
    id: string,
    patch: Pick<WebhookDeliveryRecord, 'outcome' | 'message' | 'ref' | 'commit' | 'triggerId' | 'releaseId'>,
  ): Promise<void>;
  getDelivery(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** Newest first. */
  listDeliveries(limit?: number): Promise<WebhookDeliveryRecord[]>;
  /** Deletes deliveries received before `before` (ISO-8601); returns how many. */
  pruneDeliveries(before: string): Promise<number>;
  createTrigger(t: Omit<ReleaseTriggerRecord, 'createdAt' | 'updatedAt'>): Promise<ReleaseTriggerRecord>;
  getTrigger(id: string): Promise<ReleaseTriggerRecord | undefined>;
  /** Newest first. */
  listTriggers(q: {
    service: string;
    state?: TriggerState;
    environment?: string;
    version?: string;
    limit?: number;
  }): Promise<ReleaseTriggerRecord[]>;
  /** Moves a trigger to `to` only while it is still in `from` (a claim); false when it was not. */
  moveTrigger(
    id: string,
    from: TriggerState,
    to: TriggerState,
    patch: { message: string; releaseId?: string | null },
  ): Promise<boolean>;
  /** Deletes triggers created before `before` that are no longer pending; returns how many. */
  pruneTriggers(before: string): Promise<number>;
}

/** An API token: only its SHA-256 is stored; the token itself is shown once at creation. */
export interface ApiTokenRecord {
  id: string; // tok_…
  name: string;
  /** The token's first characters (`gantry_AbCdEfGh`): enough to recognise it, not enough to use it. */
  prefix: string;
  /** SHA-256 (hex) of the whole token. */
  hash: string;
  role: 'viewer' | 'deployer' | 'admin';
  /** Environments the role applies to; null means every environment. */
  environments: string[] | null;
  expiresAt: string | null;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A dashboard session: a cookie standing for a token, stored by the SHA-256 of its value. */
export interface AuthSessionRecord {
  hash: string;
  tokenId: string;
  createdAt: string;
  expiresAt: string;
}

export interface ApiTokenRepo {
  create(t: Omit<ApiTokenRecord, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiTokenRecord>;
  get(id: string): Promise<ApiTokenRecord | undefined>;
  /** Tokens whose display prefix is `prefix` (one, unless two random prefixes collide). */
  findByPrefix(prefix: string): Promise<ApiTokenRecord[]>;
  /** Newest first. */
  list(): Promise<ApiTokenRecord[]>;
  touch(id: string, at: string): Promise<void>;
  /** Sets revokedAt (once) and ends the token's sessions; undefined when no such token. */
  revoke(id: string, at: string): Promise<ApiTokenRecord | undefined>;
  createSession(s: AuthSessionRecord): Promise<void>;
  findSession(hash: string): Promise<AuthSessionRecord | undefined>;
  deleteSession(hash: string): Promise<void>;
  /** Deletes sessions that expired before `before` (ISO-8601); returns how many. */
  pruneSessions(before: string): Promise<number>;
}

/** One entry of the append-only, hash-chained audit log. */
export interface AuditRecord {
  /** 1, 2, 3… without gaps. */
  seq: number;
  at: string;
  /** 'token' | 'webhook' | 'system' | 'anonymous' */
  actorKind: string;
  actorId: string;
  actorName: string;
  address: string | null;
  /** e.g. `POST /api/v1/releases`, `config.reload` */
  action: string;
  environment: string | null;
  release: string | null;
  /** Another resource the action concerns: a version, incident, silence, token, secret name… */
  target: string | null;
  /** HTTP status of the answer, when the action came through the API. */
  status: number | null;
  /** Short error code (`FORBIDDEN`, `RELEASE_IN_PROGRESS`) when the action failed. */
  error: string | null;
  /** Canonical JSON (sorted keys) of the action's details, without secrets. */
  details: string;
  /** Hash of the previous entry ('' for the first). */
  prevHash: string;
  /** SHA-256 over this entry's canonical JSON and prevHash. */
  hash: string;
}

export type NewAuditEntry = Omit<AuditRecord, 'seq' | 'at' | 'prevHash' | 'hash'>;

export interface AuditRepo {
  /**
   * Appends in one transaction: seq and prevHash follow the newest entry, `at` is now, and `seal`
   * computes the hash of the entry so built. There is no update and no delete.
   */
  append(e: NewAuditEntry, seal: (entry: Omit<AuditRecord, 'hash'>) => string): Promise<AuditRecord>;
  /** Newest first; `before`: only seq < before. */
  list(q: { limit: number; before?: number; environment?: string; action?: string }): Promise<AuditRecord[]>;
  /** Oldest first: entries with seq > after, at most limit (verification reads the log in pages). */
  scan(after: number, limit: number): Promise<AuditRecord[]>;
}

/** A secret as stored: never its value, only the AES-256-GCM ciphertext (base64) sealing it. */
export interface SecretRecord {
  service: string;
  /** An environment's name, or '*' for the global secrets that `${secret:NAME}` references use. */
  environment: string;
  name: string;
  ciphertext: string;
  iv: string;
  tag: string;
  /** Id of the master key that sealed it. */
  keyId: string;
  updatedAt: string;
  updatedBy: string | null;
}

export interface SecretRepo {
  /** Every row (of a service and environment when given), ordered by service, environment, name. */
  list(q?: { service?: string; environment?: string }): Promise<SecretRecord[]>;
  get(service: string, environment: string, name: string): Promise<SecretRecord | undefined>;
  /** Inserts or replaces the row; `created` tells which. */
  put(s: Omit<SecretRecord, 'updatedAt'>): Promise<{ secret: SecretRecord; created: boolean }>;
  /** false when there was no such row. */
  remove(service: string, environment: string, name: string): Promise<boolean>;
  /**
   * Key rotation: replaces the sealed value and key id of every row in one transaction, each only
   * while it is still sealed by `fromKeyId`; throws (changing nothing) when any row was not.
   */
  rekey(
    fromKeyId: string,
    rows: Array<
      Pick<SecretRecord, 'service' | 'environment' | 'name' | 'ciphertext' | 'iv' | 'tag' | 'keyId'>
    >,
  ): Promise<void>;
}

/** A version's scan report, normalized by the policy module (which owns the shape of `report`). */
export interface ScanReportRecord {
  service: string;
  version: string;
  /** 'trivy' | 'grype' | 'npm-audit' */
  format: string;
  /** Of the bytes uploaded. */
  sha256: string;
  sizeBytes: number;
  /** JSON: the findings as the policy module normalized them. */
  report: unknown;
  uploadedBy: string | null;
  uploadedAt: string;
}

export interface ScanReportRepo {
  /** Stores the version's report, replacing an earlier one (replaced: true). */
  put(r: Omit<ScanReportRecord, 'uploadedAt'>): Promise<{ record: ScanReportRecord; replaced: boolean }>;
  get(service: string, version: string): Promise<ScanReportRecord | undefined>;
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
  incidents: IncidentRepo;
  notifications: NotificationRepos;
  alarms: AlarmRepo;
  logs: LogRepo;
  tokens: ApiTokenRepo;
  audit: AuditRepo;
  triggers: TriggerRepo;
  secrets: SecretRepo;
  scanReports: ScanReportRepo;
  /** Cheap round trip used by /readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
