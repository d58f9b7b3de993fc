// Release policy: what an environment's rules (requires.passed, deployment windows, freezes, the
// vulnerability gate) decided for one release, and the normalized scan reports the gate reads.
import type { Role } from '../auth/types.ts';

/** Lowest to highest; `unknown` and `negligible` never block (fail_on cannot name them). */
export type Severity = 'unknown' | 'negligible' | 'low' | 'medium' | 'high' | 'critical';

export type ScanFormat = 'trivy' | 'grype' | 'npm-audit';

/** One vulnerability in one package, as any scanner reported it. */
export interface ScanFinding {
  /** The scanner's id: CVE-…, GHSA-…, or `npm:<advisory number>`. */
  id: string;
  /** Other ids of the same vulnerability (a CVE behind a GHSA, an npm advisory number…). */
  aliases: string[];
  severity: Severity;
  package: string;
  installed: string | null;
  fixed: string | null;
  title: string | null;
  url: string | null;
}

/** A scan report reduced to what the gate needs; stored (as JSON) with the version. */
export interface ScanReport {
  format: ScanFormat;
  /** e.g. `grype 0.74.0`, when the report says. */
  scanner: string | null;
  /** What was scanned (image, directory, lockfile), when the report says. */
  target: string | null;
  /** Trivy `image` reports: the image as the report names it (ArtifactName, RepoDigests). */
  image?: ScannedImage;
  findings: ScanFinding[];
}

export interface ScannedImage {
  name: string;
  /** `repo@sha256:…` the engine knew for the image (empty for an image built and not pushed yet). */
  repoDigests: string[];
}

/** A scan report as stored: the normalized report plus where it came from. */
export interface StoredScan {
  version: string;
  report: ScanReport;
  sha256: string;
  sizeBytes: number;
  uploadedAt: string;
  uploadedBy: string | null;
}

export type RuleName = 'requires' | 'window' | 'freeze' | 'scan' | 'error_budget';

/** refuse: blocks the release; waived: would block, but does not apply to this kind of release. */
export type RuleOutcome = 'pass' | 'refuse' | 'waived';

export interface RuleResult {
  rule: RuleName;
  outcome: RuleOutcome;
  /** Names the rule exactly: which window, which freeze, which vulnerabilities. */
  message: string;
  details?: Record<string, unknown>;
}

export interface PolicyOverride {
  reason: string;
}

/** Recorded with the release (its `policy` event) and shown by the API and the CLI. */
export interface PolicyDecision {
  environment: string;
  version: string;
  kind: string;
  evaluatedAt: string;
  outcome: 'passed' | 'refused' | 'overridden';
  rules: RuleResult[];
  /** Present when the request asked for an override; `applied` when a refused rule was overridden. */
  override: {
    reason: string;
    by: string;
    actorId: string;
    role: Role;
    applied: boolean;
  } | null;
}

export interface WindowView {
  days: string[];
  from: string;
  to: string;
  tz: string;
  /** e.g. `tue,wed,thu 02:00–04:00 UTC` */
  description: string;
  openNow: boolean;
}

export interface FreezeView {
  from: string;
  to: string;
  reason: string | null;
  /** The zone the dates are read in: the first window's, else UTC. */
  tz: string;
  activeNow: boolean;
  /** First instant of the freeze and the instant it ends (after its last day). */
  startsAt: string;
  endsAt: string;
}

/** An instant, shown in the environment's time zone and in UTC. */
export interface InstantView {
  at: string;
  /** e.g. `Tue 2026-05-12 02:00 America/New_York` */
  local: string;
  utc: string;
}

/** GET /api/v1/environments/:name/policy */
export interface EnvironmentPolicyView {
  environment: string;
  now: string;
  /** May a release start now as far as windows and freezes go? */
  open: boolean;
  /** Why not, when closed. */
  reason: string | null;
  windows: WindowView[];
  freezes: FreezeView[];
  freezeTimeZone: string;
  nextOpen: InstantView | null;
  nextClose: InstantView | null;
  requires: { passed: string } | null;
  scan: {
    fail_on: string;
    allow: Array<{ id: string; until: string | null; reason: string | null; expired: boolean }>;
  } | null;
}
