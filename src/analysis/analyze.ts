// One verdict over a window: the absolute checks, then the comparison with the stable version,
// and the worst phase wins (fail > inconclusive > pass), as in Argo Rollouts' analysis.
import { compareWithBaseline } from './baseline-checks.ts';
import { ERROR_CLASSES } from './error-classes.ts';
import { checkMinRequests, checkP99Limit, checkRateLimit } from './limit-checks.ts';
import { summarizeSide } from './side-summary.ts';
import type { AnalysisInput, CheckResult, Phase, Verdict } from './types.ts';

const PHASE_RANK: Record<Phase, number> = { pass: 0, inconclusive: 1, fail: 2 };

export function analyze(input: AnalysisInput): Verdict {
  const { canary, baseline, config } = input;
  const checks: CheckResult[] = [checkMinRequests(canary, config)];
  const limits = [
    ...ERROR_CLASSES.map((cls) => checkRateLimit(canary, config, cls)),
    checkP99Limit(canary, config),
  ];
  for (const check of limits) {
    if (check) checks.push(check);
  }
  // Without a stable version (a first release) there is nothing to compare with: the absolute
  // checks decide alone.
  if (config.compare === 'baseline' && baseline)
    checks.push(...compareWithBaseline(canary, baseline, config));
  const worst = worstCheck(checks);
  return {
    phase: worst.phase,
    summary: worst.message,
    checks,
    canary: summarizeSide(canary),
    baseline: baseline ? summarizeSide(baseline) : null,
  };
}

/** The worse of two phases. */
export function worsePhase(a: Phase, b: Phase): Phase {
  return PHASE_RANK[b] > PHASE_RANK[a] ? b : a;
}

/** The first check with the worst phase, so absolute limits speak before the baseline tests. */
export function worstCheck(checks: readonly CheckResult[]): CheckResult {
  const [first, ...rest] = checks;
  if (!first) throw new Error('worstCheck needs at least one check');
  return rest.reduce(
    (worst, check) => (PHASE_RANK[check.phase] > PHASE_RANK[worst.phase] ? check : worst),
    first,
  );
}
