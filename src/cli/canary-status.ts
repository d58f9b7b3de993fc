// What a terminal's status line says about a canary: its step, the latest verdict and the time the
// step has left, counted down locally from the server's stepEndsAt.
import type { CanaryStepEventData, ReleaseEventRecord, VerdictEventData } from '../api/types.ts';
import { readCanaryStep, readVerdict } from './canary-events.ts';
import { formatSides, formatSpan, formatVerdictPhase } from './canary-format.ts';

// Only while the canary takes traffic do its numbers describe what is happening now.
const LIVE_STATES = new Set(['progressing', 'paused']);

export class CanaryStatus {
  #step: CanaryStepEventData | null = null;
  #verdict: VerdictEventData | null = null;
  #endsAt: number | null = null;
  #steps: number | undefined;

  /**
   * Takes in one event. Returns false for a verdict that repeats the previous one's phase within the
   * same step, which a terminal shows in the status line only; everything else is worth a line.
   */
  observe(event: ReleaseEventRecord): boolean {
    const step = readCanaryStep(event);
    if (step) {
      this.#step = step;
      this.#verdict = null;
      this.#steps = step.steps;
      this.#endsAt = parseTime(step.stepEndsAt);
      return true;
    }
    const verdict = readVerdict(event);
    if (!verdict) return true;
    const previous = this.#verdict;
    this.#verdict = verdict;
    if (verdict.stepEndsAt) this.#endsAt = parseTime(verdict.stepEndsAt);
    return verdict.decisive || previous?.phase !== verdict.phase;
  }

  /** Steps of the canary, once a step event said. */
  get steps(): number | undefined {
    return this.#steps;
  }

  /**
   * `step 2/4 25 % · canary 312 req 0.3 % 5xx p99 180 ms | stable … · pass · 6m 10s left`, or ''
   * when no canary step is under way in `state`.
   */
  text(state: string | null, now: number): string {
    if (!this.#step || !state || !LIVE_STATES.has(state)) return '';
    const { step, steps, weight } = this.#verdict && this.#verdict.step > 0 ? this.#verdict : this.#step;
    const parts = [`step ${step}/${steps} ${weight} %`];
    if (this.#verdict) parts.push(formatSides(this.#verdict), formatVerdictPhase(this.#verdict));
    const left = this.#endsAt === null ? null : this.#endsAt - now;
    if (state === 'progressing' && left !== null && left > 0) {
      parts.push(`${formatSpan(Math.ceil(left / 1000) * 1000)} left`);
    }
    return parts.join(' · ');
  }
}

function parseTime(iso: string | null): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}
