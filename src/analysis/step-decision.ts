// How a canary step ends, as a pure function of time and the step's cumulative verdict: a
// failure ends it at once; a pass ends it once its pause is over; an inconclusive verdict holds
// it (never passes it) until the step deadline, where `on_inconclusive` decides.
import type { CanaryAnalysis } from '../config/types.ts';
import { defaultStepDeadline } from './defaults.ts';
import { formatElapsed } from './format.ts';
import type { Phase, Verdict } from './types.ts';

export interface StepDecisionInput {
  /** The step's configured pause; 0 or absent for a step without one. */
  pauseMs?: number;
  /** When the step started and the time now, epoch ms. */
  startedAt: number;
  now: number;
  /** The cumulative verdict over the step so far; null before the first analysis. */
  verdict: Pick<Verdict, 'phase' | 'summary'> | null;
  onInconclusive: CanaryAnalysis['on_inconclusive'];
  /** `step_deadline`, measured from the step's start; defaults to defaultStepDeadline(pause). */
  stepDeadlineMs?: number;
}

export interface StepDecision {
  action: 'wait' | 'pass' | 'fail';
  reason: string;
  /** When an inconclusive step stops waiting, epoch ms. */
  deadlineAt: number;
}

export function stepDecision(input: StepDecisionInput): StepDecision {
  const pause = Math.max(0, input.pauseMs ?? 0);
  const elapsed = input.now - input.startedAt;
  // A deadline shorter than the pause would cut the pause itself short: the pause always runs.
  const deadline = Math.max(pause, input.stepDeadlineMs ?? defaultStepDeadline(pause));
  const deadlineAt = input.startedAt + deadline;
  const phase: Phase = input.verdict?.phase ?? 'inconclusive';
  const summary = input.verdict?.summary ?? 'no analysis yet';
  const decide = (action: StepDecision['action'], reason: string): StepDecision => ({
    action,
    reason,
    deadlineAt,
  });

  if (phase === 'fail') return decide('fail', `analysis failed: ${summary}`);
  if (elapsed < pause) {
    return decide(
      'wait',
      `pausing, ${formatElapsed(elapsed)} of ${formatElapsed(pause)} (${phase}: ${summary})`,
    );
  }
  if (phase === 'pass') {
    const over = pause > 0 ? ` over ${formatElapsed(elapsed)}` : '';
    return decide('pass', `analysis passed${over}: ${summary}`);
  }
  if (elapsed < deadline) {
    return decide(
      'wait',
      `inconclusive (${summary}); waiting for more data, at most ${formatElapsed(deadline - elapsed)} more`,
    );
  }
  const outcome = input.onInconclusive === 'pass' ? 'passing' : 'failing';
  return decide(
    input.onInconclusive,
    `still inconclusive at the step deadline (${formatElapsed(deadline)}): ${summary}; ` +
      `${outcome} as on_inconclusive is ${input.onInconclusive}`,
  );
}
