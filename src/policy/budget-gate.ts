// The error-budget gate: `requires: { error_budget: 25% }` refuses a release while
// an SLO of the environment has less than that share of its error budget left. Pure: the caller
// reads the budgets (from the SLOs' state) and passes them in.
import type { RuleResult } from './types.ts';

export interface SloBudget {
  slo: string;
  /** Share of the budget left: 1 untouched, negative when overspent. */
  remaining: number;
}

export function evaluateErrorBudget(
  environment: string,
  required: number,
  budgets: readonly SloBudget[] | undefined,
): RuleResult {
  const need = percent(required);
  if (budgets === undefined || budgets.length === 0) {
    return {
      rule: 'error_budget',
      outcome: 'refuse',
      message: `error_budget: ${environment} requires ${need} of each SLO's error budget left, and no SLO of ${environment} could be read`,
      details: { required, budgets: budgets ?? null },
    };
  }
  const short = budgets.filter((b) => b.remaining < required);
  const all = budgets.map((b) => `${b.slo} ${percent(b.remaining)}`).join(', ');
  if (short.length === 0) {
    return {
      rule: 'error_budget',
      outcome: 'pass',
      message: `error_budget: every SLO of ${environment} has at least ${need} of its error budget left (${all})`,
      details: { required, budgets },
    };
  }
  const named = short.map((b) => `SLO ${b.slo} has ${percent(b.remaining)} left`).join(', ');
  return {
    rule: 'error_budget',
    outcome: 'refuse',
    message: `error_budget: ${environment} requires ${need} of each SLO's error budget left; ${named}`,
    details: { required, budgets },
  };
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(4))}%`;
}
