// The error-budget gate: requires.error_budget refuses a release while an SLO of the environment
// has less budget left, names the SLO and the budget, lets an admin override it, and never holds
// back a rollback. Budgets come from a real metrics engine through the SLO reader.
import { describe, expect, it } from 'vitest';
import type { Actor } from '../src/auth/types.ts';
import { ConfigError, formatIssue, parseConfig } from '../src/config/index.ts';
import { GantryError } from '../src/lib/errors.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { evaluateErrorBudget, PolicyGate } from '../src/policy/index.ts';
import { createSloReader, sloBudgets } from '../src/slo/status.ts';
import { environmentConfig } from './helpers/environment.ts';
import { manualClock, req } from './helpers/metrics.ts';
import { useStoreFixture } from './helpers/store.ts';

const stores = useStoreFixture();
const T0 = Date.UTC(2026, 4, 1, 12, 0, 0);
const admin: Actor = { kind: 'token', id: 'tok_admin', name: 'alice', role: 'admin' };

describe('evaluateErrorBudget', () => {
  it('passes when every SLO has the share left, refuses naming each one short of it', () => {
    expect(evaluateErrorBudget('production', 0.25, [{ slo: 'availability', remaining: 0.6 }])).toMatchObject({
      rule: 'error_budget',
      outcome: 'pass',
      message:
        'error_budget: every SLO of production has at least 25% of its error budget left (availability 60%)',
    });
    const refused = evaluateErrorBudget('production', 0.25, [
      { slo: 'availability', remaining: 0.6 },
      { slo: 'latency', remaining: -0.5 },
    ]);
    expect(refused).toMatchObject({
      outcome: 'refuse',
      message:
        "error_budget: production requires 25% of each SLO's error budget left; SLO latency has -50% left",
    });
    expect(evaluateErrorBudget('production', 0.25, [{ slo: 'a', remaining: 0.25 }]).outcome).toBe('pass');
    expect(evaluateErrorBudget('production', 0.25, undefined).outcome).toBe('refuse');
  });
});

describe('the error-budget gate in the policy check', () => {
  const production = environmentConfig({ requires: { error_budget: 0.25 } });
  const slo = { name: 'availability', environment: 'production', objective: 0.99, window: 30 * 86_400_000 };

  async function gateWith(bad: number) {
    const store = await stores.open();
    const clock = manualClock(T0);
    const engine = createMetricsEngine({ service: 'shop', clock });
    // 200 requests, `bad` of them 503: the 1 % budget allows 2.
    for (let i = 0; i < 200; i++) engine.record(req(T0 - 60_000 + i * 250, { status: i < bad ? 503 : 200 }));
    const reader = createSloReader({ slos: () => [slo], source: engine, now: () => clock.now() });
    return new PolicyGate({ store, clock, budgets: sloBudgets(reader) });
  }

  it('lets a release through while enough budget is left (1 bad of 2 allowed: 50 % left)', async () => {
    const gate = await gateWith(1);
    const decision = await gate.check({
      service: 'shop',
      environment: production,
      version: 'v2',
      kind: 'deploy',
    });
    expect(decision?.outcome).toBe('passed');
    expect(decision?.rules.map((r) => [r.rule, r.outcome])).toEqual([['error_budget', 'pass']]);
  });

  it('refuses with a 422 naming the SLO and the budget left, unless an admin overrides it', async () => {
    const gate = await gateWith(2);
    const check = { service: 'shop', environment: production, version: 'v2', kind: 'deploy' } as const;
    const err = await gate.check(check).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GantryError);
    expect((err as GantryError).code).toBe('POLICY_REFUSED');
    expect((err as GantryError).message).toBe(
      "deploy of v2 to production refused by policy: error_budget: production requires 25% of each SLO's error budget left; SLO availability has 0% left",
    );
    expect((err as GantryError).hint).toContain('gantry slo --env production');
    const overridden = await gate.check({
      ...check,
      override: { reason: 'hotfix for the outage' },
      actor: admin,
    });
    expect(overridden).toMatchObject({ outcome: 'overridden', override: { by: 'alice', applied: true } });
  });

  it('never holds back a rollback', async () => {
    const gate = await gateWith(50);
    const decision = await gate.check({
      service: 'shop',
      environment: production,
      version: 'v1',
      kind: 'rollback',
    });
    expect(decision?.outcome).toBe('passed');
    expect(decision?.rules[0]).toMatchObject({ rule: 'error_budget', outcome: 'waived' });
  });

  it('is a config error without an SLO of the environment', () => {
    const yaml = `service: hello
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:8081, requires: { error_budget: 25% } }
`;
    let issues: string[] = [];
    try {
      parseConfig(yaml, 'gantry.yaml');
    } catch (e) {
      if (e instanceof ConfigError) issues = e.issues.map(formatIssue);
    }
    expect(issues.join('\n')).toContain(
      'environments.production.requires.error_budget: the error-budget gate needs an SLO of production',
    );
    const ok = parseConfig(
      `${yaml}slos: [{ name: a, environment: production, objective: 99% }]\n`,
      'gantry.yaml',
    );
    expect(ok.config.environments.production?.requires).toEqual({ error_budget: 0.25 });
  });
});
