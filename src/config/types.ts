// The parsed, validated and defaulted form of gantry.yaml.
// Durations are milliseconds, rates are fractions (1% → 0.01), sizes are bytes.
// The zod schema in schema.ts must produce exactly these types (checked by a type assertion there).
import type { ListenerClaim } from './listener-claims.ts';

export type Duration = number;
export type Rate = number;

export interface ProbeConfig {
  path: string;
  /** 'http' (default) or 'tcp' (port accepts connections). */
  type: 'http' | 'tcp';
  interval: Duration;
  timeout: Duration;
  failure_threshold: number;
  success_threshold: number;
  /** Extra request headers sent with every probe. */
  headers: Record<string, string>;
}

export interface HealthConfig {
  liveness?: ProbeConfig;
  readiness?: ProbeConfig;
  /** Time an instance has to become ready (first readiness pass) after start. */
  startup_timeout: Duration;
}

export interface RunConfig {
  /** Process runtime: one shell line. Docker runtime: argv replacing the image's CMD. */
  command?: string | string[];
  /** Docker runtime: the repository; version V runs image:V unless the release names an image. */
  image?: string;
  /** Docker runtime: the port the service listens on inside the container. */
  port?: number;
  /** Docker runtime: limits of each container (memory in bytes). */
  resources?: { cpus?: number; memory?: number };
  port_env: string;
  env: Record<string, string>;
  /** Grace period between SIGTERM and SIGKILL when stopping an instance. */
  stop_timeout: Duration;
  /** Time the proxy waits for in-flight requests of a removed instance before stopping it. */
  drain_timeout: Duration;
  /** Base of the environments' persistent data directories (`<data_dir>/<environment>/`). */
  data_dir?: string;
}

export interface RegistryCredentials {
  /** host[:port] of the registry, as it appears at the start of image references. */
  host: string;
  username: string;
  /** May hold `${secret:NAME}` references (resolved from the global secrets). */
  password: string;
}

export interface DockerRuntimeConfig {
  /** Engine API address; when absent: $DOCKER_HOST, else DEFAULT_DOCKER_HOST. */
  host?: string;
  /** `bridge` (publish run.port on 127.0.0.1:<free>), `host`, or a named network. */
  network: string;
  pull: 'if-not-present' | 'always';
  registries: RegistryCredentials[];
}

export type RuntimeConfig = { type: 'process' } | { type: 'docker'; docker: DockerRuntimeConfig };

export interface TrackConfig {
  branch?: string | string[];
  tag?: string | string[];
}

export interface CanaryStep {
  weight: number;
  pause?: Duration;
  checks: string[];
}

export interface CanaryAnalysis {
  interval: Duration;
  min_requests: number;
  max_error_rate?: Rate;
  max_4xx_rate?: Rate;
  max_p99_latency?: Duration;
  compare?: 'baseline' | 'none';
  /** What happens when a step stays inconclusive past its deadline. */
  on_inconclusive: 'fail' | 'pass';
  step_deadline?: Duration;
}

export interface CanaryStrategy {
  steps: CanaryStep[];
  analysis: CanaryAnalysis;
  sticky?: { cookie?: string; header?: string };
}

export type StrategyConfig =
  | { type: 'rolling'; max_surge: number }
  | { type: 'canary'; canary: CanaryStrategy };

export interface WindowConfig {
  days: Array<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'>;
  from: string; // HH:MM
  to: string; // HH:MM
  tz: string; // IANA zone
}

export interface FreezeConfig {
  from: string; // YYYY-MM-DD
  to: string; // YYYY-MM-DD
  reason?: string;
}

export interface ScanPolicy {
  fail_on: 'critical' | 'high' | 'medium' | 'low' | 'none';
  allow: Array<{ id: string; until?: string; reason?: string }>;
}

/** Certificate files (`cert` and `key`), or `acme` to obtain one for the environment's hosts. */
export interface TlsConfig {
  cert?: string;
  key?: string;
  acme?: AcmeConfig;
  redirect_http?: string;
}

export interface AcmeConfig {
  /** Contact of the ACME account. */
  email: string;
  /** The CA's directory URL. */
  directory: string;
  /** PEM bundle the directory's HTTPS certificate chains to (a private CA), relative to gantry.yaml. */
  ca_file?: string;
}

export interface RateLimitConfig {
  /** requests per second per client */
  per_client: number;
  burst: number;
  /**
   * Addresses or CIDR ranges of proxies in front of Gantry: only a request arriving from one of
   * them has its client taken from X-Forwarded-For. Unset: the socket's address is the client.
   */
  trusted_proxies?: string[];
}

export type ReferrerPolicy =
  | 'no-referrer'
  | 'no-referrer-when-downgrade'
  | 'origin'
  | 'origin-when-cross-origin'
  | 'same-origin'
  | 'strict-origin'
  | 'strict-origin-when-cross-origin'
  | 'unsafe-url';

/** Response headers the proxy adds when the backend did not set them; false leaves one out. */
export interface SecurityHeadersConfig {
  /** max-age of Strict-Transport-Security; sent on HTTPS listeners only unless hsts_on_http. */
  hsts: Duration | false;
  hsts_include_subdomains: boolean;
  hsts_preload: boolean;
  hsts_on_http: boolean;
  frame_options: 'DENY' | 'SAMEORIGIN' | false;
  /** X-Content-Type-Options: nosniff */
  content_type_options: boolean;
  referrer_policy: ReferrerPolicy | false;
  content_security_policy?: string;
  permissions_policy?: string;
  extra: Record<string, string>;
}

export interface LimitsConfig {
  /** Largest request body, bytes (413 beyond). */
  max_body: number;
  /** Largest request line + headers, bytes (431 beyond). */
  max_header_size: number;
}

export interface EnvironmentConfig {
  name: string;
  listen: string; // host:port
  /** Host names it answers, lower-cased; environments that name hosts may share `listen`. */
  hosts?: string[];
  instances: number;
  track?: TrackConfig;
  requires?: { passed?: string; error_budget?: number };
  strategy: StrategyConfig;
  env: Record<string, string>;
  secrets: string[];
  windows: WindowConfig[];
  freezes: FreezeConfig[];
  scan?: ScanPolicy;
  tls?: TlsConfig;
  rate_limit?: RateLimitConfig;
  /** Unset: the defaults of schema-environment.ts (DEFAULT_SECURITY_HEADERS). */
  security_headers?: SecurityHeadersConfig;
  /** Unset: the defaults of schema-environment.ts (DEFAULT_LIMITS). */
  limits?: LimitsConfig;
}

export interface HttpCheck {
  method: string;
  path: string;
  expect_status: number;
  max_latency?: Duration;
  headers: Record<string, string>;
}

export type CheckConfig =
  | { name: string; http: HttpCheck[]; command?: undefined; timeout: Duration }
  | { name: string; command: string; http?: undefined; timeout: Duration };

export interface AlarmConfig {
  name: string;
  environment: string;
  metric: string;
  above?: number;
  below?: number;
  period: Duration;
  evaluation_periods: number;
  datapoints_to_alarm: number;
  treat_missing_data: 'missing' | 'breaching' | 'not_breaching' | 'ignore';
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  notify: string[];
  runbook?: string;
  description?: string;
}

export interface SloConfig {
  name: string;
  environment: string;
  /** Share of good requests aimed at, a fraction strictly between 0 and 1. */
  objective: number;
  /** Latency SLO: a request is good when answered in under this many ms; availability when absent. */
  threshold?: Duration;
  window: Duration;
  /** Notify groups told when a burn-rate alarm of the SLO fires and resolves. */
  notify?: string[];
  runbook?: string;
  description?: string;
}

export interface OncallScheduleConfig {
  name: string;
  rotation: 'daily' | 'weekly';
  /** "mon 09:00" (weekly) or "09:00" (daily), local time in `tz`. */
  handoff: string;
  tz: string;
  /** Local date (YYYY-MM-DD) of the first person's first handoff. */
  start?: string;
  people: Array<{ name: string; notify: NotifyChannel[] }>;
  /** Local date-times "YYYY-MM-DD HH:MM" in `tz`. */
  overrides: Array<{ person: string; from: string; to: string }>;
}

export interface OncallConfig {
  schedules: OncallScheduleConfig[];
  escalation: Array<{ after: Duration; notify: { schedule: string } | NotifyChannel[] }>;
}

export interface SyntheticConfig {
  name: string;
  environment: string;
  every: Duration;
  http?: HttpCheck;
  command?: string;
  timeout: Duration;
}

export interface LogsConfig {
  retention: { age: Duration; size: number };
  patterns: Array<{ name: string; environment?: string; match: string; regex: boolean }>;
}

export type NotifyChannel =
  | { type: 'email'; to: string | string[] }
  | { type: 'slack'; webhook_url: string; channel?: string }
  | { type: 'pagerduty'; routing_key: string; url?: string }
  | { type: 'webhook'; url: string; secret?: string; headers: Record<string, string> }
  | { type: 'sns'; topic_arn: string; region?: string; endpoint?: string };

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  starttls: boolean;
  user?: string;
  password?: string;
  from: string;
}

export interface GantryConfig {
  service: string;
  runtime: RuntimeConfig;
  run: RunConfig;
  health: HealthConfig;
  environments: Record<string, EnvironmentConfig>;
  checks: Record<string, CheckConfig>;
  alarms: AlarmConfig[];
  synthetics: SyntheticConfig[];
  logs: LogsConfig;
  triggers: { github?: { secret: string; max_body: number } };
  smtp?: SmtpConfig;
  notify: Record<string, NotifyChannel[]>;
  incidents: {
    open_at: 'P1' | 'P2' | 'P3' | 'P4';
    /** Time to acknowledge an incident of each severity, in ms (null: no target); absent: no alarm. */
    respond_within?: Record<'P1' | 'P2' | 'P3' | 'P4', Duration | null>;
    /** Notify groups told when an incident misses its response target. */
    notify: string[];
  };
  slos: SloConfig[];
  oncall: OncallConfig;
  /** Scheduled backups; absent: none (backups are then taken on demand only). */
  backups?: BackupsConfig;
}

export interface BackupsConfig {
  every: Duration;
  keep: Duration;
  /** Relative to the config file's directory; default <data-dir>/backups. */
  dir?: string;
  with_artifacts: boolean;
  /** Notify groups told when backup_failures fires and resolves. */
  notify: string[];
}

/** A config as loaded from a file: the parsed value plus where it came from. */
export interface LoadedConfig {
  file: string;
  /** Directory of the file; relative paths in the config resolve against it. */
  dir: string;
  config: GantryConfig;
  /**
   * Each environment's listen address and hosts with its line, to check several files' listeners
   * together (findListenerConflicts); set by parseConfig.
   */
  listeners?: ListenerClaim[];
}
