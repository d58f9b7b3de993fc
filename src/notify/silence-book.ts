// Silences as the API sees them: created from a checked request, listed, ended early. Ending one
// pokes the notifier, so a firing alert it muted is told at once rather than at the next tick.
import type { Clock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { SilenceRecord, SilenceRepo } from '../store/types.ts';
import { buildSilence, silenceState, viewSilence } from './silences.ts';
import type { SilenceInput, SilenceView } from './types.ts';

export class SilenceBook {
  readonly #repo: SilenceRepo;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onEnded: () => void;

  constructor(repo: SilenceRepo, clock: Clock, log: Logger, onEnded: () => void) {
    this.#repo = repo;
    this.#clock = clock;
    this.#log = log;
    this.#onEnded = onEnded;
  }

  async create(input: SilenceInput): Promise<SilenceView> {
    const now = this.#clock.now();
    const silence = await this.#repo.create(buildSilence(input, now));
    this.#log.info(
      { silence: silence.id, matchers: silence.matchers, endsAt: silence.endsAt },
      'silence created',
    );
    return viewSilence(silence, now);
  }

  /** Active and pending silences; expired ones too with `expired`. */
  async list(q: { expired?: boolean } = {}): Promise<SilenceView[]> {
    const now = this.#clock.now();
    const rows = await this.#repo.list(q.expired ? {} : { endsAfter: new Date(now).toISOString() });
    return rows.map((s) => viewSilence(s, now));
  }

  /** Those not yet ended at `now` (the silence stage checks which have started). */
  current(now: number): Promise<SilenceRecord[]> {
    return this.#repo.list({ endsAfter: new Date(now).toISOString() });
  }

  /** Ends a silence now; expiring an expired one changes nothing. */
  async expire(id: string): Promise<SilenceView> {
    const now = this.#clock.now();
    const silence = await this.#repo.get(id);
    if (!silence) throw new GantryError('UNKNOWN_SILENCE', `no silence ${id}`);
    if (silenceState(silence, now) === 'expired') return viewSilence(silence, now);
    const at = new Date(now).toISOString();
    const ended = (await this.#repo.end(id, at, at)) ?? silence;
    this.#log.info({ silence: id }, 'silence expired');
    this.#onEnded();
    return viewSilence(ended, now);
  }
}
