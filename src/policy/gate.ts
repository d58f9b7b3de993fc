// The policy check the control plane runs before a release starts: gathers the facts the rules
// need from the store (versions that passed the required environment, the version's scan report,
// whether it already succeeded here), evaluates them at the clock's instant, and refuses or
// returns the decision to record with the release.
import type { Actor } from '../auth/types.ts';
import type { EnvironmentConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import type { ScanReportRecord, Store } from '../store/types.ts';
import type { SloBudget } from './budget-gate.ts';
import { decide, refusalError } from './decide.ts';
import { evaluatePolicy, type PolicyFacts } from './evaluate.ts';
import type { PolicyDecision, PolicyOverride, ScanReport, StoredScan } from './types.ts';

/** How far back "succeeded in the required environment" looks. */
const PASSED_LOOKBACK = 1000;

/** The error budget left of each SLO of an environment, now (requires.error_budget reads it). */
export type BudgetSource = (environment: string) => Promise<SloBudget[]>;

export interface PolicyCheck {
  service: string;
  environment: EnvironmentConfig;
  version: string;
  kind: PolicyFacts['kind'];
  override?: PolicyOverride | undefined;
  actor?: Actor | undefined;
}

export class PolicyGate {
  readonly #store: Pick<Store, 'releases' | 'scanReports'>;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #budgets: BudgetSource | undefined;

  constructor(opts: {
    store: Pick<Store, 'releases' | 'scanReports'>;
    clock?: Pick<Clock, 'now'>;
    budgets?: BudgetSource;
  }) {
    this.#store = opts.store;
    this.#clock = opts.clock ?? systemClock;
    this.#budgets = opts.budgets;
  }

  /**
   * The decision to record, or null when the environment has no rules and no override was asked
   * for. Throws POLICY_REFUSED (422) naming every refusing rule, or the override's own errors.
   */
  async check(c: PolicyCheck): Promise<PolicyDecision | null> {
    const env = c.environment;
    const hasRules =
      Boolean(env.requires) || env.windows.length > 0 || env.freezes.length > 0 || Boolean(env.scan);
    const budgets =
      env.requires?.error_budget !== undefined && this.#budgets ? await this.#budgets(env.name) : undefined;
    if (!hasRules && !c.override) return null;
    const facts: PolicyFacts = {
      environment: env,
      version: c.version,
      kind: c.kind,
      now: this.#clock.now(),
      scan: env.scan ? await this.#scan(c.service, c.version) : null,
      knownGood: c.kind === 'rollback' ? await this.#succeeded(c.service, env.name, c.version) : false,
      ...(budgets ? { budgets } : {}),
      ...(env.requires?.passed !== undefined && c.kind !== 'rollback'
        ? {
            passedRequired: await this.#store.releases.succeededVersions(
              c.service,
              env.requires.passed as string,
              PASSED_LOOKBACK,
            ),
          }
        : {}),
    };
    const decision = decide({
      environment: env.name,
      version: c.version,
      kind: c.kind,
      now: facts.now,
      rules: evaluatePolicy(facts),
      override: c.override,
      actor: c.actor,
    });
    if (decision.outcome === 'refused') throw refusalError(decision);
    return decision;
  }

  async #scan(service: string, version: string): Promise<StoredScan | null> {
    const rec = await this.#store.scanReports.get(service, version);
    return rec ? toStoredScan(rec) : null;
  }

  async #succeeded(service: string, environment: string, version: string): Promise<boolean> {
    return (await this.#store.releases.succeededVersions(service, environment, PASSED_LOOKBACK)).includes(
      version,
    );
  }
}

export function toStoredScan(rec: ScanReportRecord): StoredScan {
  return {
    version: rec.version,
    report: rec.report as ScanReport,
    sha256: rec.sha256,
    sizeBytes: rec.sizeBytes,
    uploadedAt: rec.uploadedAt,
    uploadedBy: rec.uploadedBy,
  };
}
