// The policy check as the control plane runs it (PolicyGate over a real SQLite store, an injected
// clock): refusals that look alike and name their rule, the admin override with its reason, and
// the rollback exemptions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../src/auth/types.ts';
import type { EnvironmentConfig } from '../src/config/types.ts';
import { GantryError } from '../src/lib/errors.ts';
import type { PolicyCheck } from '../src/policy/gate.ts';
import { checkOverride, describeDecision, PolicyGate, parseScanReport } from '../src/policy/index.ts';
import type { Store } from '../src/store/types.ts';
import { environmentConfig } from './helpers/environment.ts';
import { release, useStoreFixture } from './helpers/store.ts';

const stores = useStoreFixture();

const admin: Actor = { kind: 'token', id: 'tok_admin', name: 'alice', role: 'admin' };
const deployer: Actor = { kind: 'token', id: 'tok_ci', name: 'ci', role: 'deployer' };
const stagingAdmin: Actor = { ...admin, id: 'tok_sa', name: 'sam', environments: ['staging'] };

// Monday 2026-05-11 12:00 UTC: outside the Tuesday window below.
const MONDAY_NOON = Date.parse('2026-05-11T12:00:00Z');
const TUESDAY_3AM = Date.parse('2026-05-12T03:00:00Z');

const production = environmentConfig({
  requires: { passed: 'staging' },
  windows: [{ days: ['tue'], from: '02:00', to: '04:00', tz: 'UTC' }],
  scan: { fail_on: 'high', allow: [] },
});

async function seed(store: Store): Promise<void> {
  for (const version of ['v1', 'v2']) {
    await store.versions.create({
      service: 'shop',
      version,
      artifactKind: 'dir',
      artifactRef: `artifacts/${version}`,
      sha256: null,
      sizeBytes: null,
      gitRef: null,
      gitCommit: null,
    });
  }
  await store.releases.create(release('rel_s1', { version: 'v1' }));
  await store.releases.transition('rel_s1', { state: 'succeeded', message: 'done' });
  await store.releases.create(release('rel_p1', { version: 'v1', environment: 'production' }));
  await store.releases.transition('rel_p1', { state: 'succeeded', message: 'done' });
}

async function putScan(store: Store, version: string, file: string): Promise<void> {
  const text = readFileSync(path.join(import.meta.dirname, 'fixtures/scans', file), 'utf8');
  const report = parseScanReport(text);
  await store.scanReports.put({
    service: 'shop',
    version,
    format: report.format,
    sha256: 'a'.repeat(64),
    sizeBytes: text.length,
    report,
    uploadedBy: 'ci',
  });
}

async function refusal(p: Promise<unknown>): Promise<GantryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GantryError)) throw new Error(`expected a GantryError, got ${String(err)}`);
  return err;
}

function check(over: Partial<PolicyCheck> = {}): PolicyCheck {
  return { service: 'shop', environment: production, version: 'v1', kind: 'deploy', ...over };
}

describe('PolicyGate', () => {
  it('refuses with one 422 that names every refusing rule', async () => {
    const store = await stores.open();
    await seed(store);
    const gate = new PolicyGate({ store, clock: { now: () => MONDAY_NOON } });
    const err = await refusal(gate.check(check({ version: 'v2' })));
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.status).toBe(422);
    expect(err.message).toBe(
      'deploy of v2 to production refused by policy: ' +
        'requires.passed: production takes only versions that succeeded in staging, and v2 has not; ' +
        'window: production is outside its deployment window (tue 02:00–04:00 UTC); the next opens Tue 2026-05-12 02:00 UTC; ' +
        'scan: no scan report for v2; upload one with --scan',
    );
    expect(err.hint).toMatch(/Release v2 to staging first/);
    const decision = (
      err.details as { policy: { outcome: string; rules: Array<{ rule: string; outcome: string }> } }
    ).policy;
    expect(decision.outcome).toBe('refused');
    expect(decision.rules.map((r) => [r.rule, r.outcome])).toEqual([
      ['requires', 'refuse'],
      ['window', 'refuse'],
      ['scan', 'refuse'],
    ]);
  });

  it('passes inside the window with a clean report, and says which rules it checked', async () => {
    const store = await stores.open();
    await seed(store);
    await putScan(store, 'v1', 'trivy-clean.json');
    const gate = new PolicyGate({ store, clock: { now: () => TUESDAY_3AM } });
    const decision = await gate.check(check());
    expect(decision?.outcome).toBe('passed');
    expect(decision && describeDecision(decision)).toBe(
      'policy passed (requires passed, window passed, scan passed)',
    );
  });

  it('the scan gate reads the stored report: Trivy findings above fail_on refuse', async () => {
    const store = await stores.open();
    await seed(store);
    await putScan(store, 'v1', 'trivy-image.json');
    const gate = new PolicyGate({ store, clock: { now: () => TUESDAY_3AM } });
    const err = await refusal(gate.check(check()));
    expect(err.message).toMatch(
      /scan: v1 has 4 vulnerabilities at or above high .*CVE-2023-45133 \(critical/,
    );
  });

  it('an admin overrides with a reason; the decision records who, why and what was overridden', async () => {
    const store = await stores.open();
    await seed(store);
    const gate = new PolicyGate({ store, clock: { now: () => MONDAY_NOON } });
    const decision = await gate.check(check({ override: { reason: '  hotfix for INC-42 ' }, actor: admin }));
    expect(decision).toMatchObject({
      outcome: 'overridden',
      override: {
        reason: 'hotfix for INC-42',
        by: 'alice',
        actorId: 'tok_admin',
        role: 'admin',
        applied: true,
      },
      evaluatedAt: '2026-05-11T12:00:00.000Z',
    });
    expect(decision && describeDecision(decision)).toMatch(
      /^policy overridden by alice \(admin\): "hotfix for INC-42"; overrode window: production is outside/,
    );
  });

  it('an override without a reason is refused, even by an admin', async () => {
    const store = await stores.open();
    await seed(store);
    const gate = new PolicyGate({ store, clock: { now: () => MONDAY_NOON } });
    const err = await refusal(gate.check(check({ override: { reason: '   ' }, actor: admin })));
    expect(err.code).toBe('OVERRIDE_REASON_REQUIRED');
    expect(err.status).toBe(422);
  });

  it.each([
    ['a deployer', deployer, /needs the admin role for production; ci has role deployer/],
    ['an admin of staging only', stagingAdmin, /sam has role admin on staging/],
    ['a request without identity', undefined, /carries no identity/],
  ])('%s may not override (actorMay)', async (_name, actor, message) => {
    const store = await stores.open();
    await seed(store);
    const gate = new PolicyGate({ store, clock: { now: () => MONDAY_NOON } });
    const err = await refusal(gate.check(check({ override: { reason: 'hotfix' }, actor })));
    expect(err.code).toBe('POLICY_OVERRIDE_FORBIDDEN');
    expect(err.status).toBe(403);
    expect(err.message).toMatch(message);
  });

  it('an override nothing needed is recorded as not applied', async () => {
    const store = await stores.open();
    await seed(store);
    await putScan(store, 'v1', 'npm-audit-clean.json');
    const gate = new PolicyGate({ store, clock: { now: () => TUESDAY_3AM } });
    const decision = await gate.check(check({ override: { reason: 'just in case' }, actor: admin }));
    expect(decision).toMatchObject({ outcome: 'passed', override: { applied: false } });
  });

  it('a rollback to a known-good version passes a closed window and a missing report (waived, recorded)', async () => {
    const store = await stores.open();
    await seed(store);
    const gate = new PolicyGate({ store, clock: { now: () => MONDAY_NOON } });
    const decision = await gate.check(check({ kind: 'rollback' }));
    expect(decision?.outcome).toBe('passed');
    expect(decision?.rules.map((r) => [r.rule, r.outcome])).toEqual([
      ['window', 'waived'],
      ['scan', 'waived'],
    ]);
  });

  it('a rollback to a version that never ran there still goes through the scan gate', async () => {
    const store = await stores.open();
    await seed(store);
    await putScan(store, 'v2', 'grype-dir.json');
    const gate = new PolicyGate({ store, clock: { now: () => MONDAY_NOON } });
    const err = await refusal(gate.check(check({ kind: 'rollback', version: 'v2' })));
    expect(err.message).toMatch(
      /scan: v2 has 2 vulnerabilities at or above high .*GHSA-xvch-5gv4-984h \(critical, minimist 1\.2\.5\)/,
    );
    expect(err.message).not.toMatch(/window/);
  });

  it('an environment without rules records nothing', async () => {
    const store = await stores.open();
    const plain: EnvironmentConfig = {
      ...production,
      requires: undefined,
      windows: [],
      scan: undefined,
    } as EnvironmentConfig;
    const gate = new PolicyGate({ store, clock: { now: () => MONDAY_NOON } });
    expect(await gate.check(check({ environment: plain }))).toBeNull();
  });
});

describe('checkOverride', () => {
  it('returns the trimmed reason for an admin of every environment or of this one', () => {
    expect(checkOverride({ reason: ' INC-7 ' }, admin, 'production')).toBe('INC-7');
    expect(checkOverride({ reason: 'INC-7' }, { ...admin, environments: ['production'] }, 'production')).toBe(
      'INC-7',
    );
  });
});
