// A scan report as uploaded: JSON from Trivy, Grype or npm audit, told apart by its content alone
// (no flag to get wrong), reduced to one finding per (vulnerability, package, installed version).
import { GantryError } from '../lib/errors.ts';
import {
  isObject,
  type Json,
  parseGrype,
  parseNpmAudit,
  parseTrivy,
  ScanFormatError,
} from './scan-formats.ts';
import type { ScanFinding, ScanFormat, ScanReport, Severity } from './types.ts';

export const SEVERITY_RANK: Record<Severity, number> = {
  unknown: 0,
  negligible: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};

const FORMATS_HINT =
  'Upload the JSON written by `trivy image|fs --format json`, `grype … -o json` or `npm audit --json`, unchanged.';

export function detectScanFormat(doc: unknown): ScanFormat | null {
  // Old Trivy lists one result per target even when clean: an empty list is no scanner's report,
  // and a gate must not read it as "no findings".
  if (Array.isArray(doc)) {
    const results = doc.length > 0 && doc.every((r) => isObject(r) && 'Target' in r);
    return results ? 'trivy' : null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const o = doc as Json;
  if (Array.isArray(o.Results) || (o.SchemaVersion !== undefined && o.ArtifactName !== undefined))
    return 'trivy';
  // Older Grype wrote a clean scan as `"matches": null` (Go's nil slice).
  if (Array.isArray(o.matches) || (o.matches === null && isObject(o.descriptor))) return 'grype';
  if (o.auditReportVersion !== undefined || isObject(o.vulnerabilities) || isObject(o.advisories)) {
    return 'npm-audit';
  }
  return null;
}

/** Parses an uploaded report; a GantryError BAD_SCAN_REPORT says what is wrong with it. */
export function parseScanReport(body: string): ScanReport {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new GantryError('BAD_SCAN_REPORT', `the scan report is not JSON: ${(err as Error).message}`, {
      hint: FORMATS_HINT,
    });
  }
  const npmError = npmAuditError(doc);
  if (npmError) {
    throw new GantryError('BAD_SCAN_REPORT', `the scan report is npm audit's error output: ${npmError}`, {
      hint: 'npm audit failed before it could report; fix that (it needs a package-lock.json) and upload its report.',
    });
  }
  const format = detectScanFormat(doc);
  if (!format) {
    throw new GantryError(
      'BAD_SCAN_REPORT',
      'the scan report is not one Gantry reads: expected Trivy JSON (Results), Grype JSON (matches) or npm audit JSON (vulnerabilities or advisories)',
      { hint: FORMATS_HINT },
    );
  }
  try {
    const report =
      format === 'trivy' ? parseTrivy(doc) : format === 'grype' ? parseGrype(doc) : parseNpmAudit(doc);
    return { ...report, findings: dedupe(report.findings) };
  } catch (err) {
    if (!(err instanceof ScanFormatError)) throw err;
    throw new GantryError('BAD_SCAN_REPORT', `the ${format} report is malformed: ${err.message}`, {
      hint: FORMATS_HINT,
    });
  }
}

/** Counts by severity, highest first, e.g. { critical: 1, high: 2, medium: 0, … }. */
export function countBySeverity(findings: readonly ScanFinding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = {
    critical: 0,
    high: 0,
    medium: 0,
    low: 0,
    negligible: 0,
    unknown: 0,
  };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** `2 critical, 1 high, 3 medium` (zero counts left out), or `no findings`. */
export function describeCounts(findings: readonly ScanFinding[]): string {
  const parts = Object.entries(countBySeverity(findings))
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return parts.length > 0 ? parts.join(', ') : 'no findings';
}

/** `CVE-2019-1549 (high, libssl1.1 1.1.1c-r0)` */
export function describeFinding(f: ScanFinding): string {
  return `${f.id} (${f.severity}, ${f.package}${f.installed ? ` ${f.installed}` : ''})`;
}

function dedupe(findings: ScanFinding[]): ScanFinding[] {
  const seen = new Map<string, ScanFinding>();
  for (const f of findings) {
    const key = `${f.id}\u0000${f.package}\u0000${f.installed ?? ''}`;
    const prior = seen.get(key);
    if (!prior) seen.set(key, f);
    else prior.aliases = [...new Set([...prior.aliases, ...f.aliases])];
  }
  // Worst first, so a refusal names the worst findings when it lists only some.
  return [...seen.values()].sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.id.localeCompare(b.id),
  );
}

function npmAuditError(doc: unknown): string | null {
  if (!isObject(doc)) return null;
  const e = doc.error;
  if (!isObject(e)) return null;
  const summary =
    typeof e.summary === 'string' ? e.summary : typeof e.code === 'string' ? e.code : 'unknown error';
  return summary.split('\n')[0] ?? summary;
}
