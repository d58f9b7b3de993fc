// Every default of gantry.yaml in one place. Durations are milliseconds, sizes bytes.
// The schema applies them; other modules may reuse them as flag defaults.
import type { StrategyConfig } from './types.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

export const DEFAULT_PORT_ENV = 'PORT';
export const DEFAULT_STOP_TIMEOUT = 10 * SECOND;
/** Runtime docker: the engine when neither runtime.docker.host nor $DOCKER_HOST is set. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
export const DEFAULT_DOCKER_NETWORK = 'bridge';
export const DOCKER_PULL_POLICIES = ['if-not-present', 'always'] as const;
export const DEFAULT_DOCKER_PULL = 'if-not-present';
/** Docker refuses a memory limit under 6 MB. */
export const MIN_CONTAINER_MEMORY = 6 * 1024 ** 2;
export const DEFAULT_DRAIN_TIMEOUT = 30 * SECOND;
export const DEFAULT_STARTUP_TIMEOUT = 60 * SECOND;

export const DEFAULT_LIVENESS = {
  interval: 5 * SECOND,
  timeout: 2 * SECOND,
  failure_threshold: 3,
  success_threshold: 1,
} as const;

export const DEFAULT_READINESS = {
  interval: 2 * SECOND,
  timeout: 1 * SECOND,
  failure_threshold: 2,
  success_threshold: 1,
} as const;

export const DEFAULT_INSTANCES = 1;
export const DEFAULT_MAX_SURGE = 1;
export const DEFAULT_STRATEGY: StrategyConfig = { type: 'rolling', max_surge: DEFAULT_MAX_SURGE };

export const DEFAULT_ANALYSIS_INTERVAL = 10 * SECOND;
export const DEFAULT_MIN_REQUESTS = 50;
export const DEFAULT_ON_INCONCLUSIVE = 'fail';

/** A window without `days` is open every day; without `tz` it is in UTC. */
export const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const DEFAULT_WINDOW_TZ = 'UTC';

export const DEFAULT_SCAN_FAIL_ON = 'high';

/**
 * Largest GitHub delivery read (triggers.github.max_body). GitHub caps payloads at 25 MB, but a
 * push payload lists at most 20 commits with their changed paths and is typically a few KB to a few
 * hundred KB; 5 MB leaves room for a large vendor import while bounding what unverified posts may
 * make the server hold (the signature is checked as the body streams, up to this size).
 */
export const DEFAULT_WEBHOOK_MAX_BODY = 5 * 1024 * 1024;
/**
 * Requests without valid credentials refused (401) per client address and minute before that
 * address's further unauthenticated requests get 429 (`gantry server --refusal-limit`).
 */
export const DEFAULT_REFUSAL_LIMIT = 30;

/**
 * Most entries (files, directories, links) an uploaded artifact may hold; the upload that streams
 * one more is refused at that entry (`gantry server --max-artifact-entries`).
 */
export const DEFAULT_MAX_ARTIFACT_ENTRIES = 100_000;
/** GitHub sends nothing larger. */
export const MAX_WEBHOOK_MAX_BODY = 25 * 1024 * 1024;

export const DEFAULT_HTTP_METHOD = 'GET';
export const DEFAULT_EXPECT_STATUS = 200;
export const DEFAULT_HTTP_CHECK_TIMEOUT = 10 * SECOND;
export const DEFAULT_COMMAND_CHECK_TIMEOUT = 5 * MINUTE;
export const DEFAULT_SYNTHETIC_TIMEOUT = 10 * SECOND;

export const DEFAULT_ALARM_PERIOD = 60 * SECOND;
export const DEFAULT_EVALUATION_PERIODS = 1;
// datapoints_to_alarm defaults to the alarm's own evaluation_periods (CloudWatch's rule).
export const DEFAULT_TREAT_MISSING_DATA = 'missing';
export const DEFAULT_SEVERITY = 'P3';

export const DEFAULT_LOG_RETENTION_AGE = 14 * DAY;
export const DEFAULT_LOG_RETENTION_SIZE = 2 * 1024 ** 3;

export const DEFAULT_SMTP_PORT = 587;
/** Port 465 speaks TLS from the first byte; any other port upgrades with STARTTLS by default. */
export const SMTP_IMPLICIT_TLS_PORT = 465;

export const DEFAULT_INCIDENT_OPEN_AT = 'P2';

/** An SLO's window when it names none; also the longest, as long as minute rollups are kept. */
export const DEFAULT_SLO_WINDOW = 30 * DAY;
export const MAX_SLO_WINDOW = 30 * DAY;

/** Scheduled backups: hourly, kept 30 days (the users' RPO of one hour and 30-day retention). */
export const DEFAULT_BACKUP_EVERY = 3600 * 1000;
export const DEFAULT_BACKUP_KEEP = 30 * DAY;
