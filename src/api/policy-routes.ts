// Release policy over HTTP: a version's scan report (PUT stores it, GET shows it) and an
// environment's policy (windows, freezes, open now, next opening and closing).

import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LoadedConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { VERSION_NAME_PATTERN, VERSION_NAME_RULE } from '../lib/names.ts';
import {
  countBySeverity,
  decisionReadScan,
  environmentPolicyView,
  findImageMismatch,
  mayReplaceScan,
  parseScanReport,
  type ScanCheck,
  toStoredScan,
} from '../policy/index.ts';
import type {
  EnvironmentPolicyView,
  PolicyDecision,
  ScanFinding,
  Severity,
  StoredScan,
} from '../policy/types.ts';
import type { ReleaseEventRecord, Store } from '../store/types.ts';
import { isoTime, json, type RouteDoc } from './route-doc.ts';
import { DISCARD_LIMIT_BYTES } from './upload-body.ts';

/** Trivy's JSON for a large image runs to a few MB; this leaves room without inviting abuse. */
export const MAX_SCAN_REPORT_BYTES = 16 * 1024 * 1024;

/** `override` of POST /releases, /promote and /rollback. */
export const policyOverrideSchema = z
  .object({ reason: z.string().max(1000) })
  .strict()
  .meta({ description: 'Start despite refusing policy rules: needs the admin role and a reason.' });

const versionParam = z.object({
  version: z.string().regex(VERSION_NAME_PATTERN, VERSION_NAME_RULE),
});

const SEVERITIES = [
  'unknown',
  'negligible',
  'low',
  'medium',
  'high',
  'critical',
] as const satisfies Severity[];

const scanSummarySchema = z.object({
  version: z.string(),
  format: z.string(),
  scanner: z.string().nullable(),
  target: z.string().nullable(),
  findings: z.number().int(),
  bySeverity: z.object(
    Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int()])) as Record<Severity, z.ZodNumber>,
  ),
  sha256: z.string(),
  sizeBytes: z.number().int(),
  uploadedAt: isoTime,
  uploadedBy: z.string().nullable(),
});
export type ScanSummary = z.infer<typeof scanSummarySchema>;

const scanFindingSchema: z.ZodType<ScanFinding> = z.object({
  id: z.string(),
  aliases: z.array(z.string()),
  severity: z.enum(SEVERITIES),
  package: z.string(),
  installed: z.string().nullable(),
  fixed: z.string().nullable(),
  title: z.string().nullable(),
  url: z.string().nullable(),
});

const instant = z.object({ at: isoTime, local: z.string(), utc: z.string() });

const environmentPolicySchema: z.ZodType<EnvironmentPolicyView> = z.object({
  environment: z.string(),
  now: isoTime,
  open: z.boolean().meta({ description: 'May a release start now as far as windows and freezes go?' }),
  reason: z.string().nullable().meta({ description: 'Why not, when closed.' }),
  windows: z.array(
    z.object({
      days: z.array(z.string()),
      from: z.string(),
      to: z.string(),
      tz: z.string(),
      description: z.string(),
      openNow: z.boolean(),
    }),
  ),
  freezes: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      reason: z.string().nullable(),
      tz: z.string(),
      activeNow: z.boolean(),
      startsAt: isoTime,
      endsAt: isoTime,
    }),
  ),
  freezeTimeZone: z.string(),
  nextOpen: instant.nullable(),
  nextClose: instant.nullable(),
  requires: z.object({ passed: z.string() }).nullable(),
  scan: z
    .object({
      fail_on: z.string(),
      allow: z.array(
        z.object({
          id: z.string(),
          until: z.string().nullable(),
          reason: z.string().nullable(),
          expired: z.boolean(),
        }),
      ),
    })
    .nullable(),
});

export const policyResponses = {
  scanUpload: z.object({ scan: scanSummarySchema, replaced: z.boolean() }),
  scanReport: z.object({ scan: scanSummarySchema, findings: z.array(scanFindingSchema) }),
  environmentPolicy: z.object({ policy: environmentPolicySchema }),
};

/** PUT /api/v1/versions/:version/scan → 201 (stored) or 200 (replaced an earlier report). */
export type ScanUploadResponse = z.infer<typeof policyResponses.scanUpload>;
/** GET /api/v1/versions/:version/scan */
export type ScanReportResponse = z.infer<typeof policyResponses.scanReport>;
/** GET /api/v1/environments/:name/policy */
export type EnvironmentPolicyResponse = z.infer<typeof policyResponses.environmentPolicy>;

export const policyRouteDocs: RouteDoc[] = [
  {
    method: 'PUT',
    path: '/api/v1/versions/:version/scan',
    operationId: 'uploadScanReport',
    summary:
      "Attach a vulnerability scan report to a version: the raw JSON of Trivy (--format json), Grype (-o json) or npm audit (--json), told apart by its content; replaces the version's earlier report",
    tag: 'versions',
    bodyContentType: 'application/json',
    access: 'deployer',
    responses: {
      201: json('ScanUploadResponse (stored)', policyResponses.scanUpload),
      200: json('ScanUploadResponse (replaced an earlier report)', policyResponses.scanUpload),
    },
    errors: {
      403: "replacing a report a release's scan gate has read needs a token not limited to environments",
      404: 'unknown version',
      413: 'report too large',
      422: 'not JSON, or not a report Gantry reads',
    },
  },
  {
    method: 'GET',
    path: '/api/v1/versions/:version/scan',
    operationId: 'getScanReport',
    summary: "A version's scan report: summary and findings, worst first",
    tag: 'versions',
    access: 'viewer',
    responses: { 200: json('ScanReportResponse', policyResponses.scanReport) },
    errors: { 404: 'unknown version, or no report' },
  },
  {
    method: 'GET',
    path: '/api/v1/environments/:name/policy',
    operationId: 'getEnvironmentPolicy',
    summary:
      "An environment's release policy: deployment windows, freezes, whether a release may start now and when that next changes, requires.passed, the scan gate",
    tag: 'environments',
    access: 'viewer',
    responses: { 200: json('EnvironmentPolicyResponse', policyResponses.environmentPolicy) },
    errors: { 404: 'unknown environment' },
  },
];

export interface PolicyRouteDeps {
  config: () => LoadedConfig;
  store: Store;
  logger: Logger;
  clock?: Pick<Clock, 'now'>;
}

export function registerPolicyRoutes(app: FastifyInstance, deps: PolicyRouteDeps): void {
  const service = () => deps.config().config.service;
  const clock = deps.clock ?? systemClock;

  // Only this route reads its body raw, whatever its content type: the report is hashed as
  // uploaded. The handler gets it as text (so the audit hook, which records JSON bodies, skips it).
  const raw = new WeakMap<object, { sha256: string; size: number }>();
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (req, payload, done) => {
      readLimited(payload, MAX_SCAN_REPORT_BYTES).then(
        (body) => {
          raw.set(req, { sha256: createHash('sha256').update(body).digest('hex'), size: body.length });
          done(null, body.toString('utf8'));
        },
        (err: Error) => done(err),
      );
    });
    scope.put<{ Params: { version: string } }>('/api/v1/versions/:version/scan', async (req, reply) => {
      const { version } = versionParam.parse(req.params);
      const body = typeof req.body === 'string' ? req.body : '';
      const bytes = raw.get(req) ?? { sha256: createHash('sha256').update(body).digest('hex'), size: 0 };
      const recorded = await deps.store.versions.get(service(), version);
      if (!recorded) {
        throw new GantryError('UNKNOWN_VERSION', `version ${version} of ${service()} has not been uploaded`, {
          hint: 'Upload the artifact first; `gantry deploy … --scan report.json` does both in order.',
        });
      }
      if (body.length === 0) {
        throw new GantryError('BAD_SCAN_REPORT', 'the request has no body: send the scan report as the body');
      }
      const report = parseScanReport(body);
      const mismatch =
        report.image && recorded.artifactKind === 'image'
          ? findImageMismatch(report.image, recorded.artifactRef)
          : undefined;
      if (mismatch) {
        throw new GantryError('BAD_SCAN_REPORT', `${mismatch}: nothing was stored`, {
          hint: `Scan the image you release: trivy image --format json --output report.json ${recorded.artifactRef}`,
        });
      }
      const earlier = await deps.store.scanReports.get(service(), version);
      if (earlier && earlier.sha256 !== bytes.sha256) {
        const checks = await scanChecks(deps.store, service(), version);
        const may = mayReplaceScan(req.actor, version, checks);
        if (!may.ok) {
          throw new GantryError('FORBIDDEN', may.message, {
            hint: may.hint,
            details: { reason: 'scan_report_checked', checkedBy: checks.slice(0, 20) },
          });
        }
      }
      const { record, replaced } = await deps.store.scanReports.put({
        service: service(),
        version,
        format: report.format,
        sha256: bytes.sha256,
        sizeBytes: bytes.size,
        report,
        uploadedBy: req.actor?.name ?? null,
      });
      const scan = toStoredScan(record);
      deps.logger.info(
        { version, format: report.format, findings: report.findings.length, replaced },
        'scan report stored',
      );
      const res: ScanUploadResponse = { scan: summarize(scan), replaced };
      return reply.code(replaced ? 200 : 201).send(res);
    });
  });

  app.get<{ Params: { version: string } }>('/api/v1/versions/:version/scan', async (req) => {
    const { version } = versionParam.parse(req.params);
    const rec = await deps.store.scanReports.get(service(), version);
    if (!rec) {
      const known = await deps.store.versions.get(service(), version);
      throw known
        ? new GantryError('NOT_FOUND', `version ${version} has no scan report`, {
            hint: `Upload one: curl -X PUT --data-binary @report.json …/api/v1/versions/${version}/scan, or gantry deploy … --scan report.json`,
          })
        : new GantryError('UNKNOWN_VERSION', `version ${version} of ${service()} has not been uploaded`);
    }
    const scan = toStoredScan(rec);
    const res: ScanReportResponse = { scan: summarize(scan), findings: scan.report.findings };
    return res;
  });

  app.get<{ Params: { name: string } }>('/api/v1/environments/:name/policy', async (req) => {
    const { config, file } = deps.config();
    const env = config.environments[req.params.name];
    if (!env) {
      throw new GantryError(
        'UNKNOWN_ENVIRONMENT',
        `no environment ${req.params.name} in ${file} (known: ${Object.keys(config.environments).join(', ')})`,
      );
    }
    const res: EnvironmentPolicyResponse = { policy: environmentPolicyView(env, clock.now()) };
    return res;
  });
}

/** How many of a version's releases are looked at for a scan check (newest first). */
const MAX_RELEASES_LOOKED_AT = 500;

/** The releases of a version whose scan gate read its report. */
async function scanChecks(store: Store, service: string, version: string): Promise<ScanCheck[]> {
  const releases = await store.releases.list({ service, version, limit: MAX_RELEASES_LOOKED_AT });
  const checks: ScanCheck[] = [];
  for (const r of releases) {
    if (decisionReadScan(policyOfRelease(await store.releases.events(r.id)))) {
      checks.push({ release: r.id, environment: r.environment });
    }
  }
  return checks;
}

/** The decision recorded with a release (its `policy` event), or null when none was. */
export function policyOfRelease(events: readonly ReleaseEventRecord[]): PolicyDecision | null {
  const event = events.find((e) => e.type === 'policy');
  return event?.data ? (event.data as unknown as PolicyDecision) : null;
}

function summarize(scan: StoredScan): ScanSummary {
  return {
    version: scan.version,
    format: scan.report.format,
    scanner: scan.report.scanner,
    target: scan.report.target,
    findings: scan.report.findings.length,
    bySeverity: countBySeverity(scan.report.findings),
    sha256: scan.sha256,
    sizeBytes: scan.sizeBytes,
    uploadedAt: scan.uploadedAt,
    uploadedBy: scan.uploadedBy,
  };
}

/** The body, or SCAN_REPORT_TOO_LARGE as soon as it exceeds max (the rest is read and dropped). */
function readLimited(stream: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(stream.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      refuseAfterBody(stream, () => reject(tooLarge(max)));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      stream.off('data', onData);
      stream.off('end', onEnd);
      refuseAfterBody(stream, () => reject(tooLarge(max)));
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
  });
}

/**
 * Answers only once the client has sent its whole body (read into nothing, up to a bound): a
 * client still sending when the answer and the close come gets EPIPE instead of the 413.
 */
function refuseAfterBody(stream: IncomingMessage, refuse: () => void): void {
  let dropped = 0;
  const onData = (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_LIMIT_BYTES) {
      stream.off('data', onData);
      refuse();
    }
  };
  stream.on('data', onData);
  stream.once('end', refuse);
  stream.resume();
}

function tooLarge(max: number): GantryError {
  return new GantryError('SCAN_REPORT_TOO_LARGE', `the scan report is larger than ${max / 1024 / 1024} MiB`);
}
