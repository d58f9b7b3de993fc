// Severities P1–P4 with the meanings of the users' incident-response guide (seed 003): P1 is the
// most severe. `incidents.open_at: P2` means P1 and P2 alarms open incidents.
import type { Severity } from '../alarms/types.ts';

export interface SeverityMeaning {
  label: string;
  /** Time within which it should be resolved, as the guide puts it. */
  resolveWithin: string;
  /** Time within which someone must respond. */
  respondWithin: string;
  /** respondWithin in ms; null for "next business day" (no fixed number). */
  respondWithinMs: number | null;
  /** resolveWithin in ms; 0 for "immediately". */
  resolveWithinMs: number;
  examples: string[];
}

export const SEVERITY_MEANINGS: Record<Severity, SeverityMeaning> = {
  P1: {
    label: 'Critical',
    resolveWithin: 'immediately',
    respondWithin: 'immediately',
    respondWithinMs: 0,
    resolveWithinMs: 0,
    examples: ['complete service outage', 'data loss or corruption', 'security breach'],
  },
  P2: {
    label: 'High',
    resolveWithin: '1 hour',
    respondWithin: '15 min',
    respondWithinMs: 15 * 60_000,
    resolveWithinMs: 60 * 60_000,
    examples: ['partial service degradation', 'performance issues', 'error rate > 5%'],
  },
  P3: {
    label: 'Medium',
    resolveWithin: '4 hours',
    respondWithin: '1 hour',
    respondWithinMs: 60 * 60_000,
    resolveWithinMs: 4 * 60 * 60_000,
    examples: ['minor functionality broken', 'error rate 1–5%', 'slow performance'],
  },
  P4: {
    label: 'Low',
    resolveWithin: '24 hours',
    respondWithin: 'next business day',
    respondWithinMs: null,
    resolveWithinMs: 24 * 60 * 60_000,
    examples: ['cosmetic issues', 'non-critical features', 'error rate < 1%'],
  },
};

const RANK: Record<Severity, number> = { P1: 1, P2: 2, P3: 3, P4: 4 };

/** True when `severity` is as severe as `threshold` or more (P1 ≥ P2 ≥ P3 ≥ P4). */
export function isAtLeast(severity: Severity, threshold: Severity): boolean {
  return RANK[severity] <= RANK[threshold];
}

export function mostSevere(a: Severity, b: Severity): Severity {
  return RANK[a] <= RANK[b] ? a : b;
}

/** "P2 — High: partial service degradation, performance issues, error rate > 5%" */
export function describeSeverity(severity: Severity): string {
  const m = SEVERITY_MEANINGS[severity];
  return `${severity} — ${m.label}: ${m.examples.join(', ')}`;
}
