// The vulnerability gate over real-format reports (test/fixtures/scans: Trivy, Grype, npm audit):
// format detection, parsing, and pass / refuse / allow-list / expired allow-list decisions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScanPolicy } from '../src/config/types.ts';
import { GantryError } from '../src/lib/errors.ts';
import { detectScanFormat, evaluateScan, parseScanReport } from '../src/policy/index.ts';
import type { ScanReport, StoredScan } from '../src/policy/types.ts';

const fixture = (name: string) =>
  readFileSync(path.join(import.meta.dirname, 'fixtures/scans', name), 'utf8');

function stored(report: ScanReport): StoredScan {
  return {
    version: 'v1.2.3',
    report,
    sha256: 'f'.repeat(64),
    sizeBytes: 1,
    uploadedAt: '2026-05-04T09:30:00.000Z',
    uploadedBy: 'ci',
  };
}

const NOW = Date.parse('2026-05-10T12:00:00Z');
const policy = (p: Partial<ScanPolicy>): ScanPolicy => ({ fail_on: 'high', allow: [], ...p });
const gate = (file: string, p: Partial<ScanPolicy>, now = NOW) =>
  evaluateScan(policy(p), stored(parseScanReport(fixture(file))), 'v1.2.3', now);

function expectBadReport(body: string, message: RegExp): void {
  try {
    parseScanReport(body);
  } catch (err) {
    expect(err).toBeInstanceOf(GantryError);
    expect((err as GantryError).code).toBe('BAD_SCAN_REPORT');
    expect((err as GantryError).status).toBe(422);
    expect((err as GantryError).message).toMatch(message);
    return;
  }
  throw new Error('expected BAD_SCAN_REPORT');
}

describe('format detection from the content', () => {
  it.each([
    ['trivy-image.json', 'trivy'],
    ['trivy-clean.json', 'trivy'],
    ['trivy-legacy.json', 'trivy'],
    ['grype-dir.json', 'grype'],
    ['npm-audit.json', 'npm-audit'],
    ['npm-audit-clean.json', 'npm-audit'],
    ['npm-audit-v6.json', 'npm-audit'],
  ])('%s is %s', (file, format) => {
    expect(detectScanFormat(JSON.parse(fixture(file)))).toBe(format);
  });

  it('refuses what is not JSON, not a known report, or npm audit’s own error', () => {
    expectBadReport('<html>', /not JSON/);
    expectBadReport(
      '{"runs": []}',
      /expected Trivy JSON \(Results\), Grype JSON \(matches\) or npm audit JSON/,
    );
    expectBadReport(
      '{"error": {"code": "ENOLOCK", "summary": "This command requires an existing lockfile.", "detail": "Try creating one first with: npm i --package-lock-only"}}',
      /npm audit's error output: This command requires an existing lockfile/,
    );
    expectBadReport(
      '{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Target": "t", "Vulnerabilities": [{"PkgName": "a"}]}]}',
      /trivy report is malformed: Results\[0\]\.Vulnerabilities\[0\]\.VulnerabilityID: expected a string/,
    );
  });
});

describe('parsing', () => {
  it('Trivy: one finding per vulnerability and package, worst first, with the scanner and target', () => {
    const r = parseScanReport(fixture('trivy-image.json'));
    expect(r).toMatchObject({
      format: 'trivy',
      scanner: 'trivy 0.58.1',
      target: 'registry.local/shop-api:v1.4.2',
    });
    expect(r.findings.map((f) => [f.id, f.severity, f.package])).toEqual([
      ['CVE-2023-45133', 'critical', '@babel/traverse'],
      ['CVE-2021-23337', 'high', 'lodash'],
      ['CVE-2023-5363', 'high', 'libcrypto3'],
      ['CVE-2023-5363', 'high', 'libssl3'],
      ['CVE-2023-5678', 'medium', 'libcrypto3'],
      ['CVE-2024-29041', 'medium', 'express'],
    ]);
    expect(r.findings[1]).toMatchObject({ installed: '4.17.20', fixed: '4.17.21' });
  });

  it('Trivy before SchemaVersion 2 (a bare list of results)', () => {
    const r = parseScanReport(fixture('trivy-legacy.json'));
    expect(r.findings).toMatchObject([{ id: 'CVE-2018-16487', severity: 'high', package: 'lodash' }]);
  });

  it('Grype: the distro’s severity, related CVEs as aliases', () => {
    const r = parseScanReport(fixture('grype-dir.json'));
    expect(r.scanner).toBe('grype 0.74.7');
    expect(r.findings.map((f) => [f.id, f.severity, f.package, f.aliases])).toEqual([
      ['GHSA-xvch-5gv4-984h', 'critical', 'minimist', ['CVE-2021-44906']],
      ['GHSA-35jh-r3h4-6jhm', 'high', 'lodash', ['CVE-2021-23337']],
      ['GHSA-29mw-wpgm-hmr9', 'medium', 'lodash', ['CVE-2020-28500']],
      ['CVE-2005-2541', 'negligible', 'tar', []],
    ]);
  });

  it('npm audit 7+: advisories from `via`, package names from the advisory, moderate as medium', () => {
    const r = parseScanReport(fixture('npm-audit.json'));
    expect(r.findings.map((f) => [f.id, f.severity, f.package, f.aliases])).toEqual([
      ['GHSA-xvch-5gv4-984h', 'critical', 'minimist', ['npm:1097677']],
      ['GHSA-c2qf-rxjj-qqgw', 'high', 'semver', ['npm:1101088']],
      ['GHSA-72xf-g2v4-qvf3', 'medium', 'tough-cookie', ['npm:1097682']],
      ['GHSA-vh95-rmgr-6w4m', 'medium', 'minimist', ['npm:1097678']],
    ]);
  });

  it('npm audit 6: `advisories`, named by CVE when there is no GHSA', () => {
    const r = parseScanReport(fixture('npm-audit-v6.json'));
    expect(r.findings).toMatchObject([
      {
        id: 'CVE-2021-23337',
        aliases: ['npm:1673'],
        severity: 'high',
        package: 'lodash',
        installed: '4.17.20',
      },
    ]);
  });
});

describe('the gate', () => {
  it('passes a clean report', () => {
    expect(gate('trivy-clean.json', {})).toMatchObject({ outcome: 'pass' });
    expect(gate('npm-audit-clean.json', { fail_on: 'low' })).toMatchObject({ outcome: 'pass' });
  });

  it('refuses findings at or above fail_on, naming ids, severities and packages', () => {
    const r = gate('trivy-image.json', { fail_on: 'high' });
    expect(r.outcome).toBe('refuse');
    expect(r.message).toBe(
      'scan: v1.2.3 has 4 vulnerabilities at or above high (fail_on: high, trivy report of 2026-05-04): ' +
        'CVE-2023-45133 (critical, @babel/traverse 7.22.5), CVE-2021-23337 (high, lodash 4.17.20), ' +
        'CVE-2023-5363 (high, libcrypto3 3.1.3-r0), CVE-2023-5363 (high, libssl3 3.1.3-r0)',
    );
    expect(gate('trivy-image.json', { fail_on: 'critical' }).message).toMatch(
      /has 1 vulnerability at or above critical .*: CVE-2023-45133 \(critical, @babel\/traverse 7\.22\.5\)$/,
    );
  });

  it('fail_on: none passes everything (the report is still required)', () => {
    expect(gate('trivy-image.json', { fail_on: 'none' })).toMatchObject({ outcome: 'pass' });
    const missing = evaluateScan(policy({ fail_on: 'none' }), null, 'v1.2.3', NOW);
    expect(missing).toMatchObject({
      outcome: 'refuse',
      message: 'scan: no scan report for v1.2.3; upload one with --scan',
    });
  });

  it('negligible and unknown findings never block', () => {
    const r = gate('grype-dir.json', {
      fail_on: 'low',
      allow: [{ id: 'GHSA-xvch-5gv4-984h' }, { id: 'GHSA-35jh-r3h4-6jhm' }, { id: 'GHSA-29mw-wpgm-hmr9' }],
    });
    expect(r.outcome).toBe('pass');
  });

  it('an allow-list entry lets a finding through, matched by id or by an alias (a CVE behind a GHSA)', () => {
    const r = gate('grype-dir.json', {
      allow: [
        { id: 'CVE-2021-44906', until: '2026-12-31', reason: 'not reachable' },
        { id: 'GHSA-35jh-r3h4-6jhm' },
      ],
    });
    expect(r.outcome).toBe('pass');
    expect(r.message).toMatch(/allowed by the allow-list: GHSA-xvch-5gv4-984h, GHSA-35jh-r3h4-6jhm/);
  });

  it('npm audit: the allow-list covers the critical, the high one still refuses', () => {
    const r = gate('npm-audit.json', { allow: [{ id: 'GHSA-xvch-5gv4-984h', until: '2026-06-30' }] });
    expect(r.outcome).toBe('refuse');
    expect(r.message).toMatch(
      /has 1 vulnerability at or above high .*: GHSA-c2qf-rxjj-qqgw \(high, semver\)/,
    );
  });

  it('an allow-list entry lasts to the end of its `until` day in UTC; then the refusal says it expired', () => {
    const allow = [
      { id: 'CVE-2023-45133', until: '2026-05-10', reason: 'build-time only' },
      { id: 'CVE-2021-23337' },
      { id: 'CVE-2023-5363' },
    ];
    const lastMinute = Date.parse('2026-05-10T23:59:00Z');
    const nextDay = Date.parse('2026-05-11T00:00:00Z');
    expect(gate('trivy-image.json', { allow }, lastMinute).outcome).toBe('pass');
    const expired = gate('trivy-image.json', { allow }, nextDay);
    expect(expired.outcome).toBe('refuse');
    expect(expired.message).toMatch(
      /CVE-2023-45133 \(critical, @babel\/traverse 7\.22\.5; allow-list entry CVE-2023-45133 expired at the end of 2026-05-10 UTC\)/,
    );
    expect(expired.details?.blocking).toEqual([
      {
        id: 'CVE-2023-45133',
        severity: 'critical',
        package: '@babel/traverse',
        installed: '7.22.5',
        allowExpired: '2026-05-10',
      },
    ]);
  });
});
