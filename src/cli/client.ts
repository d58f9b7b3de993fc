// Typed client of Gantry's HTTP API (/api/v1/openapi.json); the CLI's only way to reach the server.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AlarmHistoryResponse, AlarmListResponse, SyntheticListResponse } from '../api/alarm-routes.ts';
import type { AuditListResponse, AuditVerifyResponse } from '../api/audit-routes.ts';
import type {
  CreateTokenRequest,
  CreateTokenResponse,
  SessionResponse,
  TokenListResponse,
  TokenResponse,
} from '../api/auth-routes.ts';
import type { BackupListResponse, BackupStreamLine, CreatedBackupView } from '../api/backup-routes.ts';
import type { DoraResponse } from '../api/dora-routes.ts';
import type { RecordImageResponse } from '../api/image-routes.ts';
import type {
  IncidentActionResponse,
  IncidentDetailResponse,
  IncidentListResponse,
  IncidentStats,
} from '../api/incident-routes.ts';
import type { LogListResponse } from '../api/logs-routes.ts';
import type {
  AckRequest,
  AckResponse,
  CreateSilenceRequest,
  DeliveryListResponse,
  SilenceListResponse,
  SilenceResponse,
} from '../api/notify-routes.ts';
import type { OncallResponse } from '../api/oncall-routes.ts';
import type { EnvironmentPolicyResponse, ScanUploadResponse } from '../api/policy-routes.ts';
import type {
  KeyRotationResponse,
  SecretListResponse,
  SecretRemoveResponse,
  SecretSetResponse,
} from '../api/secret-routes.ts';
import type { SloListResponse } from '../api/slo-routes.ts';
import type {
  ApiErrorBody,
  ConfigReloadResponse,
  CreateReleaseRequest,
  InstanceLogsResponse,
  MetricsQueryResponse,
  PromoteRequest,
  ReleaseAction,
  ReleaseActionRequest,
  ReleaseActionResponse,
  ReleaseDetailResponse,
  ReleaseListResponse,
  ReleaseResponse,
  RollbackRequest,
  StatusBody,
  UploadArtifactResponse,
  VersionListResponse,
} from '../api/types.ts';
import { ApiError, ConnectionError, describeFetchFailure, UsageError } from './errors.ts';
import { DEFAULT_URL, dataDirFrom } from './io.ts';

export interface ClientConfig {
  baseUrl: string;
  token: string | undefined;
  /** The service the requests are about (`/api/v1/services/S/…`); the server's only one when undefined. */
  service?: string | undefined;
  fetch: typeof fetch;
}

/** `--image` releases name the image here; the server says whether its runtime can run it. */
export type CreateReleaseBody = CreateReleaseRequest;

interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  body?: AsyncIterable<Uint8Array>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The server and token given on the command line (`--url`, `--token`): they win over the environment. */
export interface ConnectionFlags {
  url?: string;
  token?: string;
  service?: string;
}

/**
 * Base URL from --url, else GANTRY_URL, else the default; token from --token, else GANTRY_TOKEN,
 * else `<data-dir>/admin-token` when that file exists.
 */
export async function resolveClientConfig(
  env: Record<string, string | undefined>,
  fetchImpl: typeof fetch,
  dataDir?: string,
  flags: ConnectionFlags = {},
): Promise<ClientConfig> {
  return {
    baseUrl: resolveBaseUrl(env, flags),
    token: await findToken(env, dataDir, flags),
    service: resolveService(env, flags),
    fetch: fetchImpl,
  };
}

/** --service, else GANTRY_SERVICE; undefined leaves the choice to the server (its only service). */
function resolveService(env: Record<string, string | undefined>, flags: ConnectionFlags): string | undefined {
  const service = (flags.service ?? env.GANTRY_SERVICE)?.trim();
  if (flags.service !== undefined && !service)
    throw new UsageError('--service is empty', 'Pass the name of a service, or leave --service out.');
  return service || undefined;
}

/** The server's address, from --url, GANTRY_URL or the default, without a trailing slash. */
export function resolveBaseUrl(env: Record<string, string | undefined>, flags: ConnectionFlags = {}): string {
  if (flags.url !== undefined) return parseBaseUrl(flags.url, '--url');
  return parseBaseUrl(env.GANTRY_URL || DEFAULT_URL, 'GANTRY_URL');
}

function parseBaseUrl(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${from} is not a URL: ${raw}`, 'Give it like http://127.0.0.1:7070');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${from} must be an http:// or https:// URL, not ${url.protocol}`);
  }
  return url.href.replace(/\/+$/, '');
}

async function findToken(
  env: Record<string, string | undefined>,
  dataDir: string | undefined,
  flags: ConnectionFlags,
): Promise<string | undefined> {
  if (flags.token !== undefined) {
    const token = flags.token.trim();
    if (!token)
      throw new UsageError('--token is empty', 'Pass the token, or leave --token out to use GANTRY_TOKEN.');
    return token;
  }
  const fromEnv = env.GANTRY_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const file = path.join(dataDirFrom(env, dataDir), 'admin-token');
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(
      `cannot read the token file ${file}: ${(err as Error).message}`,
      'Set GANTRY_TOKEN instead.',
    );
  }
}

export class GantryClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #api: string;
  readonly #fetch: typeof fetch;

  constructor(config: ClientConfig) {
    this.baseUrl = config.baseUrl;
    this.#token = config.token;
    this.#api = config.service
      ? `${config.baseUrl}/api/v1/services/${encodeURIComponent(config.service)}`
      : `${config.baseUrl}/api/v1`;
    this.#fetch = config.fetch;
  }

  /** 201 created, 200 when the same bytes were already uploaded; 409 VERSION_EXISTS for other bytes. */
  async uploadArtifact(
    version: string,
    body: AsyncIterable<Uint8Array>,
    q: { ref?: string; commit?: string; commit_time?: string } = {},
    opts: { sha256?: string; bytes?: number } = {},
  ): Promise<{ status: number; body: UploadArtifactResponse }> {
    const res = await this.#send('POST', `/versions/${encodeURIComponent(version)}/artifact`, {
      query: q,
      body,
      // The server hashes what it receives and stores nothing unless it matches. With the length
      // announced, a server whose limit is lower refuses (413) before anything is sent.
      headers: {
        'content-type': 'application/gzip',
        ...(opts.sha256 ? { 'x-checksum-sha256': opts.sha256 } : {}),
        ...(opts.bytes !== undefined ? { 'content-length': String(opts.bytes) } : {}),
      },
    });
    return { status: res.status, body: (await res.json()) as UploadArtifactResponse };
  }

  listVersions(): Promise<VersionListResponse> {
    return this.#json('GET', '/versions');
  }

  /** Runtime docker: the server pulls the image and records its digest as the version (201, or 200 when already so). */
  async recordImage(
    version: string,
    req: { image?: string; ref?: string; commit?: string },
  ): Promise<{ status: number; body: RecordImageResponse }> {
    const res = await this.#send('POST', `/versions/${encodeURIComponent(version)}/image`, { json: req });
    return { status: res.status, body: (await res.json()) as RecordImageResponse };
  }

  createRelease(req: CreateReleaseBody): Promise<ReleaseResponse> {
    return this.#json('POST', '/releases', { json: req });
  }

  promote(req: PromoteRequest): Promise<ReleaseResponse> {
    return this.#json('POST', '/promote', { json: req });
  }

  rollback(req: RollbackRequest): Promise<ReleaseResponse> {
    return this.#json('POST', '/rollback', { json: req });
  }

  listReleases(q: { environment?: string; limit?: number } = {}): Promise<ReleaseListResponse> {
    return this.#json('GET', '/releases', { query: q });
  }

  getRelease(id: string): Promise<ReleaseDetailResponse> {
    return this.#json('GET', `/releases/${encodeURIComponent(id)}`);
  }

  /** abort, pause, resume or promote a release in progress; 409 INVALID_RELEASE_STATE when it does not apply. */
  releaseAction(
    id: string,
    action: ReleaseAction,
    req: ReleaseActionRequest = {},
  ): Promise<ReleaseActionResponse> {
    return this.#json('POST', `/releases/${encodeURIComponent(id)}/${action}`, { json: req });
  }

  status(environment?: string): Promise<StatusBody> {
    return this.#json('GET', '/status', { query: { environment } });
  }

  /** from/to: ISO-8601 or relative (`-1h`, `now`); step: a duration (`10s`). */
  queryMetrics(q: {
    environment: string;
    metric: string;
    version?: string;
    from?: string;
    to?: string;
    step?: string;
  }): Promise<MetricsQueryResponse> {
    return this.#json('GET', '/metrics', { query: q });
  }

  instanceLogs(id: string, limit?: number): Promise<InstanceLogsResponse> {
    return this.#json('GET', `/instances/${encodeURIComponent(id)}/logs`, { query: { limit } });
  }

  /** Opens the release's Server-Sent Events stream, resuming after `lastEventId` when given. */
  async openReleaseEvents(
    id: string,
    lastEventId?: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
    const res = await this.#send('GET', `/releases/${encodeURIComponent(id)}/events`, {
      headers,
      ...(signal ? { signal } : {}),
    });
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !res.body) {
      await res.body?.cancel();
      throw new ApiError(res.status, 'BAD_RESPONSE', `expected an event stream, got ${type || 'no body'}`);
    }
    return res.body;
  }

  /** status: open, acknowledged, resolved, active (open or acknowledged) or all. */
  listIncidents(
    q: { status?: string; environment?: string; limit?: number } = {},
  ): Promise<IncidentListResponse> {
    return this.#json('GET', '/incidents', { query: q });
  }

  getIncident(id: string): Promise<IncidentDetailResponse> {
    return this.#json('GET', `/incidents/${encodeURIComponent(id)}`);
  }

  /** 409 INVALID_INCIDENT_STATE when the incident is not open (ack) or already resolved (resolve). */
  incidentAction(
    id: string,
    action: 'ack' | 'resolve' | 'assign' | 'notes',
    body: { by?: string; resolution?: string; rootCause?: string; assignee?: string; text?: string } = {},
  ): Promise<IncidentActionResponse> {
    return this.#json('POST', `/incidents/${encodeURIComponent(id)}/${action}`, { json: body });
  }

  /** The post-mortem draft as Markdown. */
  async incidentPostmortem(id: string): Promise<string> {
    const res = await this.#send('GET', `/incidents/${encodeURIComponent(id)}/postmortem`, {
      headers: { accept: 'text/markdown' },
    });
    return res.text();
  }

  /** since: ISO-8601 or relative (`-30d`). */
  incidentStats(q: { since?: string; environment?: string } = {}): Promise<IncidentStats> {
    return this.#json('GET', '/incidents/stats', { query: q });
  }

  dora(q: { environment?: string; since?: string } = {}): Promise<DoraResponse> {
    return this.#json('GET', '/dora', { query: q });
  }

  oncall(q: { schedule?: string; shifts?: number; at?: string } = {}): Promise<OncallResponse> {
    return this.#json('GET', '/oncall', { query: q });
  }

  listSlos(q: { environment?: string } = {}): Promise<SloListResponse> {
    return this.#json('GET', '/slos', { query: q });
  }

  listAlarms(q: { environment?: string; state?: string } = {}): Promise<AlarmListResponse> {
    return this.#json('GET', '/alarms', { query: q });
  }

  /** 404 UNKNOWN_ALARM for a name that is neither configured nor in the history. */
  alarmHistory(
    name: string,
    q: { environment?: string; limit?: number } = {},
  ): Promise<AlarmHistoryResponse> {
    return this.#json('GET', `/alarms/${encodeURIComponent(name)}/history`, { query: q });
  }

  listSynthetics(q: { environment?: string } = {}): Promise<SyntheticListResponse> {
    return this.#json('GET', '/synthetics', { query: q });
  }

  /** Active and pending silences; expired ones too with `expired`. */
  listSilences(q: { expired?: boolean } = {}): Promise<SilenceListResponse> {
    return this.#json('GET', '/silences', { query: { expired: q.expired ? 'true' : undefined } });
  }

  /** 400 BAD_REQUEST for bad matchers, durations or times. */
  createSilence(req: CreateSilenceRequest): Promise<SilenceResponse> {
    return this.#json('POST', '/silences', { json: req });
  }

  /** 404 UNKNOWN_SILENCE for an id that does not exist; expiring an expired silence is a no-op. */
  expireSilence(id: string): Promise<SilenceResponse> {
    return this.#json('DELETE', `/silences/${encodeURIComponent(id)}`);
  }

  /** The notification delivery log, newest first. */
  listNotifications(
    q: { limit?: number; status?: 'pending' | 'delivered' | 'failed' } = {},
  ): Promise<DeliveryListResponse> {
    return this.#json('GET', '/notifications', { query: q });
  }

  /** 409 ALERT_NOT_FIRING when the alarm does not fire in that environment. */
  ackAlert(req: AckRequest): Promise<AckResponse> {
    return this.#json('POST', '/alerts/ack', { json: req });
  }

  /** Stored lines, newest first; since/until: ISO-8601 or relative (`10m`, `-1h`, `now`). */
  searchLogs(q: LogQueryParams & { limit?: number; before?: number }): Promise<LogListResponse> {
    return this.#json('GET', '/logs', { query: q });
  }

  /** Opens the live tail (Server-Sent Events `log`), resuming after line `lastEventId` when given. */
  async openLogStream(
    q: LogQueryParams,
    lastEventId?: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
    const res = await this.#send('GET', '/logs/stream', { query: q, headers, ...(signal ? { signal } : {}) });
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !res.body) {
      await res.body?.cancel();
      throw new ApiError(res.status, 'BAD_RESPONSE', `expected an event stream, got ${type || 'no body'}`);
    }
    return res.body;
  }

  /** Admin. The answer holds the token itself: show it once, never log it. */
  createToken(req: CreateTokenRequest): Promise<CreateTokenResponse> {
    return this.#json('POST', '/tokens', { json: req });
  }

  /** Admin. Tokens with their prefix, role, scope and state, never the tokens themselves. */
  listTokens(): Promise<TokenListResponse> {
    return this.#json('GET', '/tokens');
  }

  /** Admin. 404 UNKNOWN_TOKEN for an id that does not exist; revoking twice keeps the first time. */
  revokeToken(id: string): Promise<TokenResponse> {
    return this.#json('DELETE', `/tokens/${encodeURIComponent(id)}`);
  }

  /** Admin. A scope's secret names and dates, never values; `environment` null: the global secrets. */
  listSecrets(environment: string | null): Promise<SecretListResponse> {
    return this.#json('GET', secretPath(environment));
  }

  /** Admin. Restarts the instances that use it; the value never comes back in any answer. */
  setSecret(environment: string | null, name: string, value: string): Promise<SecretSetResponse> {
    return this.#json('PUT', secretPath(environment, name), { json: { value } });
  }

  /** Admin. 409 SECRET_IN_USE while gantry.yaml still uses it, unless `force`. */
  removeSecret(environment: string | null, name: string, force: boolean): Promise<SecretRemoveResponse> {
    return this.#json('DELETE', secretPath(environment, name), {
      query: { force: force ? 'true' : undefined },
    });
  }

  /** Admin. Encrypts every secret again under a new master key (`newKey`, or one the server makes). */
  rotateMasterKey(newKey?: string): Promise<KeyRotationResponse> {
    return this.#json('POST', '/secrets/rotate-key', { json: newKey === undefined ? {} : { newKey } });
  }

  /** Who the server takes this client for. */
  whoami(): Promise<SessionResponse> {
    return this.#json('GET', '/session');
  }

  /** Admin. Newest first; `before` pages on from the last seq seen. */
  listAudit(
    q: { limit?: number; before?: number; environment?: string; action?: string } = {},
  ): Promise<AuditListResponse> {
    return this.#json('GET', '/audit', { query: q });
  }

  /** Admin. Walks the hash chain and names the first entry that does not fit. */
  verifyAudit(): Promise<AuditVerifyResponse> {
    return this.#json('GET', '/audit/verify');
  }

  /** Admin. Takes a backup on the server; `onLine` gets each progress line, the last one is returned. */
  async createBackup(
    body: { withArtifacts: boolean },
    onLine: (line: BackupStreamLine) => void,
  ): Promise<CreatedBackupView> {
    const res = await this.#send('POST', '/backups', {
      json: body,
      headers: { accept: 'application/x-ndjson' },
    });
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body ?? []) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      let nl = text.indexOf('\n');
      for (; nl >= 0; nl = text.indexOf('\n')) {
        const line = JSON.parse(text.slice(0, nl)) as BackupStreamLine;
        text = text.slice(nl + 1);
        if ('backup' in line) return line.backup;
        if ('error' in line) throw new ApiError(500, line.error.code, line.error.message, line.error.hint);
        onLine(line);
      }
    }
    throw new ApiError(
      res.status,
      'BAD_RESPONSE',
      'the server ended the backup stream without saying how it went',
    );
  }

  /** Admin. The backups the server holds, newest first. */
  listBackups(): Promise<BackupListResponse> {
    return this.#json('GET', '/backups');
  }

  /** Admin. A backup archive's bytes and their length. */
  async downloadBackup(name: string): Promise<{ bytes: number; body: AsyncIterable<Uint8Array> }> {
    const res = await this.#send('GET', `/backups/${encodeURIComponent(name)}`, {
      headers: { accept: 'application/x-tar' },
    });
    if (!res.body) throw new ApiError(res.status, 'BAD_RESPONSE', 'the server sent no backup bytes');
    return { bytes: Number(res.headers.get('content-length') ?? 0), body: res.body };
  }

  /** Attaches a scan report (raw Trivy, Grype or npm audit JSON) to an uploaded version; 422 BAD_SCAN_REPORT. */
  async uploadScan(version: string, report: string): Promise<{ status: number; body: ScanUploadResponse }> {
    const res = await this.#send('PUT', `/versions/${encodeURIComponent(version)}/scan`, {
      body: (async function* () {
        yield new TextEncoder().encode(report);
      })(),
      headers: { 'content-type': 'application/json' },
    });
    return { status: res.status, body: (await res.json()) as ScanUploadResponse };
  }

  /** Windows, freezes, open now and when that next changes, requires.passed, the scan gate. */
  environmentPolicy(environment: string): Promise<EnvironmentPolicyResponse> {
    return this.#json('GET', `/environments/${encodeURIComponent(environment)}/policy`);
  }

  /** Re-reads the server's service files; `force` stops the instances of services whose file is gone. */
  reloadConfig(force: boolean): Promise<ConfigReloadResponse> {
    return this.#json('POST', '/config/reload', { json: force ? { force } : {} });
  }

  async #json<T>(method: string, route: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.#send(method, route, opts);
    return (await res.json()) as T;
  }

  async #send(method: string, route: string, opts: RequestOptions): Promise<Response> {
    const url = new URL(`${this.#api}${route}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: RequestInit['body'];
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body) {
      body = opts.body;
    }
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body, duplex: 'half' as const } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new ConnectionError(this.baseUrl, describeFetchFailure(err));
    }
    if (!res.ok) throw await readApiError(res);
    return res;
  }
}

function secretPath(environment: string | null, name?: string): string {
  const base = environment === null ? '/secrets' : `/environments/${encodeURIComponent(environment)}/secrets`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

async function readApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody>;
    if (body.error && typeof body.error.message === 'string') {
      return new ApiError(res.status, body.error.code ?? 'ERROR', body.error.message, body.error.hint);
    }
  } catch {
    // not JSON: fall through to a message built from the status line
  }
  return new ApiError(
    res.status,
    `HTTP_${res.status}`,
    `server answered ${res.status} ${res.statusText}`.trim(),
  );
}

/** Filters of GET /api/v1/logs and /logs/stream. */
export type LogQueryParams = {
  environment?: string | undefined;
  version?: string | undefined;
  instance?: string | undefined;
  level?: string | undefined;
  q?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
};
