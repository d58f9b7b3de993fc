// Readers of the scanners' own JSON: Trivy (`trivy image|fs --format json`, SchemaVersion 2, and
// the bare array of results older versions wrote), Grype (`grype -o json`) and npm audit
// (`npm audit --json`: npm 7+'s `vulnerabilities`, npm 6's `advisories`). Each throws a
// ScanFormatError naming the path of the first field that is not what the format says.
import type { ScanFinding, ScanReport, Severity } from './types.ts';

export class ScanFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanFormatError';
  }
}

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function requireText(o: Json, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new ScanFormatError(`${path}.${key}: expected a string`);
  return v;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ScanFormatError(`${path}: expected a list`);
  return v;
}

function object(v: unknown, path: string): Json {
  if (!isObject(v)) throw new ScanFormatError(`${path}: expected an object`);
  return v;
}

/** Trivy: UNKNOWN LOW MEDIUM HIGH CRITICAL; Grype adds Negligible; npm: info low moderate high critical. */
export function normalizeSeverity(raw: unknown): Severity {
  switch (String(raw ?? '').toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'high':
      return 'high';
    case 'medium':
    case 'moderate':
      return 'medium';
    case 'low':
      return 'low';
    case 'negligible':
    case 'info':
      return 'negligible';
    default:
      return 'unknown';
  }
}

export function parseTrivy(doc: unknown): ScanReport {
  // Before SchemaVersion 2 Trivy wrote the list of results alone.
  const legacy = Array.isArray(doc);
  const root = legacy ? {} : object(doc, 'report');
  const results = legacy ? doc : list(root.Results, 'Results');
  const findings: ScanFinding[] = [];
  results.forEach((r, i) => {
    const result = object(r, `Results[${i}]`);
    list(result.Vulnerabilities, `Results[${i}].Vulnerabilities`).forEach((v, j) => {
      const path = `Results[${i}].Vulnerabilities[${j}]`;
      const vuln = object(v, path);
      findings.push({
        id: requireText(vuln, 'VulnerabilityID', path),
        aliases: list(vuln.VendorIDs, `${path}.VendorIDs`).filter((a): a is string => typeof a === 'string'),
        severity: normalizeSeverity(vuln.Severity),
        package: requireText(vuln, 'PkgName', path),
        installed: text(vuln.InstalledVersion),
        fixed: text(vuln.FixedVersion),
        title: text(vuln.Title),
        url: text(vuln.PrimaryURL),
      });
    });
  });
  const trivy = isObject(root.Trivy) ? text(root.Trivy.Version) : null;
  const name = text(root.ArtifactName);
  const metadata = isObject(root.Metadata) ? root.Metadata : {};
  const repoDigests = list(metadata.RepoDigests, 'Metadata.RepoDigests').filter(
    (d): d is string => typeof d === 'string',
  );
  return {
    format: 'trivy',
    scanner: trivy ? `trivy ${trivy}` : 'trivy',
    target: name,
    ...(root.ArtifactType === 'container_image' && name ? { image: { name, repoDigests } } : {}),
    findings,
  };
}

export function parseGrype(doc: unknown): ScanReport {
  const root = object(doc, 'report');
  const findings: ScanFinding[] = [];
  list(root.matches, 'matches').forEach((m, i) => {
    const path = `matches[${i}]`;
    const match = object(m, path);
    const vuln = object(match.vulnerability, `${path}.vulnerability`);
    const artifact = object(match.artifact, `${path}.artifact`);
    const related = list(match.relatedVulnerabilities, `${path}.relatedVulnerabilities`)
      .map((r) => (isObject(r) ? text(r.id) : null))
      .filter((id): id is string => id !== null);
    const fix = isObject(vuln.fix) ? list(vuln.fix.versions, `${path}.vulnerability.fix.versions`) : [];
    const urls = list(vuln.urls, `${path}.vulnerability.urls`);
    const id = requireText(vuln, 'id', `${path}.vulnerability`);
    findings.push({
      id,
      aliases: related.filter((alias) => alias !== id),
      severity: normalizeSeverity(vuln.severity),
      package: requireText(artifact, 'name', `${path}.artifact`),
      installed: text(artifact.version),
      fixed: fix.filter((f): f is string => typeof f === 'string').join(', ') || null,
      title: text(vuln.description)?.split('\n')[0]?.slice(0, 200) ?? null,
      url: text(vuln.dataSource) ?? text(urls[0]),
    });
  });
  const descriptor = isObject(root.descriptor) ? root.descriptor : {};
  const version = text(descriptor.version);
  const source = isObject(root.source) ? root.source : {};
  const target = isObject(source.target) ? text(source.target.userInput) : text(source.target);
  return {
    format: 'grype',
    scanner: `${text(descriptor.name) ?? 'grype'}${version ? ` ${version}` : ''}`,
    target,
    findings,
  };
}

const GHSA = /GHSA-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}/i;

/** npm 7+: each vulnerable package lists its advisories in `via` (strings name other vulnerable packages). */
export function parseNpmAudit(doc: unknown): ScanReport {
  const root = object(doc, 'report');
  if (root.advisories !== undefined && root.vulnerabilities === undefined) return parseNpmAuditV6(root);
  const findings: ScanFinding[] = [];
  const vulnerabilities = object(root.vulnerabilities ?? {}, 'vulnerabilities');
  for (const [name, v] of Object.entries(vulnerabilities)) {
    const path = `vulnerabilities.${name}`;
    const entry = object(v, path);
    list(entry.via, `${path}.via`).forEach((via, i) => {
      if (typeof via === 'string') return;
      const advisory = object(via, `${path}.via[${i}]`);
      const url = text(advisory.url);
      const source = advisory.source ?? advisory.id;
      const ghsa = url ? (GHSA.exec(url)?.[0] ?? null) : null;
      const number = typeof source === 'number' || typeof source === 'string' ? String(source) : null;
      const id = ghsa ?? (number ? `npm:${number}` : null);
      if (!id) throw new ScanFormatError(`${path}.via[${i}]: expected a url or source naming the advisory`);
      findings.push({
        id,
        aliases: number && ghsa ? [`npm:${number}`] : [],
        severity: normalizeSeverity(advisory.severity),
        package: text(advisory.name) ?? text(entry.name) ?? name,
        installed: null,
        fixed: null,
        title: text(advisory.title),
        url,
      });
    });
  }
  return { format: 'npm-audit', scanner: 'npm audit', target: null, findings };
}

function parseNpmAuditV6(root: Json): ScanReport {
  const findings: ScanFinding[] = [];
  for (const [key, a] of Object.entries(object(root.advisories, 'advisories'))) {
    const path = `advisories.${key}`;
    const advisory = object(a, path);
    const url = text(advisory.url);
    const ghsa = text(advisory.github_advisory_id) ?? (url ? (GHSA.exec(url)?.[0] ?? null) : null);
    const cves = list(advisory.cves, `${path}.cves`).filter((c): c is string => typeof c === 'string');
    const number = `npm:${String(advisory.id ?? key)}`;
    const id = ghsa ?? cves[0] ?? number;
    const versions = list(advisory.findings, `${path}.findings`)
      .map((f) => (isObject(f) ? text(f.version) : null))
      .filter((v): v is string => v !== null);
    findings.push({
      id,
      aliases: [...cves, number].filter((alias) => alias !== id),
      severity: normalizeSeverity(advisory.severity),
      package: requireText(advisory, 'module_name', path),
      installed: versions.join(', ') || null,
      fixed: text(advisory.patched_versions),
      title: text(advisory.title),
      url,
    });
  }
  return { format: 'npm-audit', scanner: 'npm audit', target: null, findings };
}
