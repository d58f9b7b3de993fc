// The vulnerability gate: a version may go to an environment with `scan:` only with a scan report,
// and only when no finding at or above `fail_on` remains once the allow-list is applied. An
// allow-list entry with `until` lasts to the end of that day in UTC; after that it allows nothing,
// and a refusal says that it expired rather than just naming the vulnerability.
import type { ScanPolicy } from '../config/types.ts';
import { addDays } from '../lib/zoned-time.ts';
import { describeCounts, describeFinding, SEVERITY_RANK } from './scan-report.ts';
import type { RuleResult, ScanFinding, StoredScan } from './types.ts';

/** How many blocking findings a refusal names before it says "and N more". */
const NAMED_IN_MESSAGE = 10;

type AllowEntry = ScanPolicy['allow'][number];

/** End of the entry's `until` day in UTC, or null when it never expires. */
export function allowExpiresAt(entry: AllowEntry): number | null {
  return entry.until ? Date.parse(`${addDays(entry.until, 1)}T00:00:00Z`) : null;
}

export function allowExpired(entry: AllowEntry, now: number): boolean {
  const end = allowExpiresAt(entry);
  return end !== null && now >= end;
}

function matches(entry: AllowEntry, f: ScanFinding): boolean {
  const id = entry.id.toUpperCase();
  return f.id.toUpperCase() === id || f.aliases.some((a) => a.toUpperCase() === id);
}

interface Blocking {
  finding: ScanFinding;
  expired: AllowEntry | null;
}

export function evaluateScan(
  policy: ScanPolicy,
  scan: StoredScan | null,
  version: string,
  now: number,
): RuleResult {
  if (!scan) {
    return {
      rule: 'scan',
      outcome: 'refuse',
      message: `scan: no scan report for ${version}; upload one with --scan`,
      details: { failOn: policy.fail_on, report: null },
    };
  }
  const { report } = scan;
  const source = `${report.format} report of ${scan.uploadedAt.slice(0, 10)}`;
  const blocking: Blocking[] = [];
  const allowed: Array<{ id: string; until: string | null }> = [];
  const threshold = policy.fail_on === 'none' ? Number.POSITIVE_INFINITY : SEVERITY_RANK[policy.fail_on];
  for (const finding of report.findings) {
    if (SEVERITY_RANK[finding.severity] < threshold) continue;
    const entries = policy.allow.filter((e) => matches(e, finding));
    const live = entries.find((e) => !allowExpired(e, now));
    if (live) allowed.push({ id: finding.id, until: live.until ?? null });
    else blocking.push({ finding, expired: entries[0] ?? null });
  }
  const details = {
    failOn: policy.fail_on,
    report: {
      format: report.format,
      scanner: report.scanner,
      sha256: scan.sha256,
      uploadedAt: scan.uploadedAt,
    },
    findings: report.findings.length,
    allowed,
    blocking: blocking.map((b) => ({
      id: b.finding.id,
      severity: b.finding.severity,
      package: b.finding.package,
      installed: b.finding.installed,
      ...(b.expired ? { allowExpired: b.expired.until } : {}),
    })),
  };
  const allowedNote =
    allowed.length > 0 ? `; allowed by the allow-list: ${allowed.map((a) => a.id).join(', ')}` : '';
  if (blocking.length === 0) {
    const bar = policy.fail_on === 'none' ? 'fail_on: none' : `none at or above ${policy.fail_on} remains`;
    return {
      rule: 'scan',
      outcome: 'pass',
      message: `scan: ${source}: ${describeCounts(report.findings)}; ${bar}${allowedNote}`,
      details,
    };
  }
  const named = blocking.slice(0, NAMED_IN_MESSAGE).map(describeBlocking);
  const more = blocking.length > NAMED_IN_MESSAGE ? ` and ${blocking.length - NAMED_IN_MESSAGE} more` : '';
  const noun = blocking.length === 1 ? 'vulnerability' : 'vulnerabilities';
  return {
    rule: 'scan',
    outcome: 'refuse',
    message:
      `scan: ${version} has ${blocking.length} ${noun} at or above ${policy.fail_on} (fail_on: ${policy.fail_on}, ${source}): ` +
      `${named.join(', ')}${more}${allowedNote}`,
    details,
  };
}

function describeBlocking(b: Blocking): string {
  const base = describeFinding(b.finding);
  if (!b.expired) return base;
  return `${base.slice(0, -1)}; allow-list entry ${b.expired.id} expired at the end of ${b.expired.until} UTC)`;
}
