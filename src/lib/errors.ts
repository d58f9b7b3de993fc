// One catalogue of user-facing errors: a stable code, an HTTP status and a hint that says what to do next.

export const ERRORS = {
  BAD_REQUEST: { status: 400, hint: 'Check the request against /api/v1/openapi.json.' },
  UNAUTHORIZED: { status: 401, hint: 'Pass a token in the Authorization header (GANTRY_TOKEN for the CLI).' },
  FORBIDDEN: {
    status: 403,
    hint: 'Ask an admin for a token with that role (`gantry tokens create --role ROLE [--env ENV]`).',
  },
  NOT_FOUND: { status: 404, hint: '' },
  UNKNOWN_ENVIRONMENT: { status: 404, hint: 'Run `gantry status` to list the environments of gantry.yaml.' },
  UNKNOWN_VERSION: {
    status: 404,
    hint: 'Upload the version first (`gantry deploy --artifact …` does it for you).',
  },
  VERSION_EXISTS: {
    status: 409,
    hint: 'Versions are immutable: upload the new build under a new version name.',
  },
  RELEASE_IN_PROGRESS: {
    status: 409,
    hint: 'Wait for it (`gantry watch ID`) or abort it, then try again.',
  },
  INVALID_RELEASE_STATE: {
    status: 409,
    hint: 'See the release with `gantry watch ID`: the action does not apply to its current state.',
  },
  UNKNOWN_ALARM: { status: 404, hint: 'Run `gantry alarms` to list the alarms of gantry.yaml.' },
  UNKNOWN_INCIDENT: { status: 404, hint: 'Run `gantry incidents list --status all` to see the incidents.' },
  INVALID_INCIDENT_STATE: {
    status: 409,
    hint: 'See the incident with `gantry incidents show ID`: the action does not apply to its current status.',
  },
  UNKNOWN_SILENCE: { status: 404, hint: 'Run `gantry silences list --all` to see the silences.' },
  ALERT_NOT_FIRING: {
    status: 409,
    hint: 'Only a firing alarm can be acknowledged; see its state with `gantry alarms`.',
  },
  NO_TRACK_MATCH: { status: 422, hint: 'Add a `track` rule for this ref to an environment in gantry.yaml.' },
  REQUIREMENT_NOT_MET: { status: 422, hint: 'Release the version to the required environment first.' },
  NOTHING_TO_ROLL_BACK: { status: 422, hint: 'Pass --to VERSION to choose a version explicitly.' },
  BAD_ARTIFACT: {
    status: 422,
    hint: 'Upload a .tar.gz of the artifact directory (no absolute paths, no links outside it).',
  },
  ARTIFACT_TOO_LARGE: { status: 413, hint: 'Raise the server limit or make the artifact smaller.' },
  RUNTIME_UNAVAILABLE: {
    status: 422,
    hint: 'Container images need `runtime: docker` in gantry.yaml (then restart the server); a process server takes --artifact DIR.',
  },
  IMAGE_UNAVAILABLE: {
    status: 422,
    hint: 'Check the image reference, that the registry is reachable from the server and, for a private registry, its credentials under runtime.docker.registries.',
  },
  SERVICE_REQUIRED: {
    status: 400,
    hint: 'Name the service: /api/v1/services/SERVICE/…, or `gantry --service SERVICE`.',
  },
  UNKNOWN_SERVICE: { status: 404, hint: 'GET /api/v1/services lists the services of this server.' },
  SERVER_STOPPING: { status: 503, hint: 'Try again once the server is back.' },
  SERVICE_HAS_INSTANCES: {
    status: 409,
    hint: 'Reload with `gantry reload --force` (POST /api/v1/config/reload {"force": true}) to stop them.',
  },
  CONFIG_RESTART_REQUIRED: {
    status: 409,
    hint: 'Restart `gantry server` to apply changes to service, run, health or environments.',
  },
  CONFIG_RELOAD_FAILED: {
    status: 409,
    hint: 'Fix what the message names (a port in use, a file that cannot be read) and reload again.',
  },
  CONFIG_INVALID: {
    status: 422,
    hint: 'Run `gantry validate` to see every problem with its line and column.',
  },
  // Answered by the proxy on an environment's listener, not by the API.
  NO_READY_INSTANCE: {
    status: 503,
    hint: 'Check `gantry status --env ENV`: instances may be starting or failing readiness.',
  },
  BAD_GATEWAY: {
    status: 502,
    hint: "The instance reset or broke the connection; see the instance's output.",
  },
  GATEWAY_TIMEOUT: { status: 504, hint: 'The instance did not answer in time.' },
  RATE_LIMITED: {
    status: 429,
    hint: 'Wait for the Retry-After seconds, or raise rate_limit in gantry.yaml.',
  },
  BODY_TOO_LARGE: { status: 413, hint: 'Send a smaller body, or raise limits.max_body in gantry.yaml.' },
  HEADER_TOO_LARGE: {
    status: 431,
    hint: 'Send fewer or smaller headers, or raise limits.max_header_size in gantry.yaml.',
  },
  UNKNOWN_TOKEN: { status: 404, hint: 'Run `gantry tokens list` to see the tokens and their ids.' },
  WEBHOOK_NOT_CONFIGURED: {
    status: 404,
    hint: `Add \`triggers: { github: { secret: "\${secret:GITHUB_WEBHOOK_SECRET}" } }\` to gantry.yaml and restart the server.`,
  },
  WEBHOOK_SECRET_MISSING: {
    status: 503,
    hint: 'Set the secret that triggers.github.secret refers to on the server, with the value given to GitHub.',
  },
  BAD_SIGNATURE: {
    status: 401,
    hint: 'Give the GitHub webhook the same secret as triggers.github.secret, with content type application/json.',
  },
  WEBHOOK_TOO_LARGE: {
    status: 413,
    hint: 'GitHub push payloads are far smaller; if yours are this large, raise triggers.github.max_body in gantry.yaml (at most 25MB).',
  },
  WEBHOOK_REPLAY: {
    status: 409,
    hint: 'Each GitHub delivery is acted on once: push again, or release from CI with `gantry release --ref`.',
  },
  CHECKSUM_MISMATCH: {
    status: 422,
    hint: 'The bytes received differ from the X-Checksum-Sha256 sent: upload again, computing the checksum over the exact bytes sent.',
  },
  UNKNOWN_SECRET: {
    status: 404,
    hint: 'Run `gantry secrets list ENV` (or `gantry secrets list --global`) to see the names that are set.',
  },
  SECRET_IN_USE: {
    status: 409,
    hint: "Remove the name from the environment's `secrets:` in gantry.yaml and restart the server first, or pass --force.",
  },
  MASTER_KEY_INVALID: {
    status: 422,
    hint: 'A master key is 32 random bytes as 64 hex digits or base64, e.g. from `openssl rand -base64 32`.',
  },
  MASTER_KEY_MISMATCH: {
    status: 422,
    hint: 'Start the server with the master key the secrets were encrypted with; a lost key cannot be recovered.',
  },
  MASTER_KEY_FROM_ENV: {
    status: 409,
    hint: 'Pass the new key: `openssl rand -base64 32 | gantry secrets rotate-key --new-key-from-stdin`, then set GANTRY_MASTER_KEY to it.',
  },
  POLICY_REFUSED: {
    status: 422,
    hint: 'See the environment\'s policy with `gantry status --env ENV`; an admin may override it with --override-policy "reason".',
  },
  POLICY_OVERRIDE_FORBIDDEN: {
    status: 403,
    hint: 'Only the admin role may override a release policy: ask an admin to release with --override-policy "reason".',
  },
  OVERRIDE_REASON_REQUIRED: {
    status: 422,
    hint: 'Say why, for the record: --override-policy "hotfix for INC-42".',
  },
  BAD_SCAN_REPORT: {
    status: 422,
    hint: 'Upload the JSON written by `trivy … --format json`, `grype … -o json` or `npm audit --json`, unchanged.',
  },
  SCAN_REPORT_TOO_LARGE: {
    status: 413,
    hint: 'Scan reports are limited in size: leave out what the gate does not read (e.g. trivy --list-all-pkgs=false).',
  },
  STORAGE_FULL: {
    status: 507,
    hint: "Free space on the disk of the server's data directory (old artifacts, logs: see logs.retention in gantry.yaml), then try again; /readiness fails until there is room.",
  },
  STANDBY: {
    status: 503,
    hint: 'Another Gantry server on the same database is the leader: send requests to it. This one takes over when that server stops.',
  },
  BACKUP_INVALID: {
    status: 422,
    hint: 'Use another backup (the scheduled ones are in backups.dir), or make a new one with `gantry backup create`.',
  },
  STORE_NOT_EMPTY: {
    status: 409,
    hint: 'Restore into an empty data dir or database, or pass --force to replace what is there.',
  },
  UNKNOWN_BACKUP: { status: 404, hint: 'Run `gantry backup list` to see the backups the server holds.' },
  INTERNAL: { status: 500, hint: "See the server's log." },
} as const satisfies Record<string, { status: number; hint: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class GantryError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'GantryError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.hint = opts.hint ?? ERRORS[code].hint;
    this.details = opts.details;
  }

  toJSON(): { error: { code: string; message: string; hint?: string; details?: Record<string, unknown> } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.hint ? { hint: this.hint } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}
