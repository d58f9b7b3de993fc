// The outbox worker: sends due rows, records each attempt, retries with backoff. It sleeps until
// the next row is due and wakes at once when a row is written, so the happy path has no polling
// delay. A row is claimed (with a lease) before it is sent, so two workers never send it together.
import { type Clock, systemClock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { DeliveryAttempt, DeliveryRecord, OutboxRepo } from '../store/types.ts';
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from './backoff.ts';
import { DEFAULT_CONCURRENCY, IDLE_WAIT_MS, PENDING_SCAN_LIMIT, STOP_GRACE_MS } from './defaults.ts';
import { pickDue } from './due.ts';
import { describeError } from './redact.ts';
import type { SendResult } from './types.ts';

export interface FinalOutcome {
  status: 'delivered' | 'failed';
  attempts: number;
  error?: string;
  at: string;
}

export interface OutboxWorkerOptions {
  outbox: OutboxRepo;
  send: (row: DeliveryRecord, signal: AbortSignal) => Promise<SendResult>;
  clock?: Clock;
  logger?: Logger;
  policy?: RetryPolicy;
  concurrency?: number;
  /** How long a claim holds a row; longer than any send can take. */
  leaseMs: number;
  /** Free the claims a previous process left (right for a store only one server uses). */
  releaseClaimsAtStart: boolean;
  onFinal?: (row: DeliveryRecord, outcome: FinalOutcome) => void;
}

export class OutboxWorker {
  readonly #o: OutboxWorkerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #policy: RetryPolicy;
  readonly #concurrency: number;
  readonly #owner = newId('wrk');
  readonly #busy = new Map<string, Promise<void>>();
  #running = false;
  #loop: Promise<void> | undefined;
  #woken = false;
  #wake: AbortController | undefined;
  #abortSends = new AbortController();

  constructor(opts: OutboxWorkerOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger ?? silentLogger;
    this.#policy = opts.policy ?? DEFAULT_RETRY_POLICY;
    this.#concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#abortSends = new AbortController();
    if (this.#o.releaseClaimsAtStart) {
      const freed = await this.#o.outbox.releaseClaims();
      if (freed > 0) this.#log.info({ deliveries: freed }, 'resuming notifications left in flight');
    }
    this.#loop = this.#run();
  }

  /** A row was written or a send finished: look again now. */
  wake(): void {
    this.#woken = true;
    this.#wake?.abort();
  }

  /** Stops claiming; lets sends in flight finish within a grace period, then abandons them. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.wake();
    await this.#loop;
    if (this.#busy.size === 0) return;
    const inFlight = Promise.allSettled([...this.#busy.values()]);
    const grace = new AbortController();
    const timedOut = await Promise.race([
      inFlight.then(() => false),
      this.#clock.sleep(STOP_GRACE_MS, grace.signal).then(
        () => true,
        () => false,
      ),
    ]);
    grace.abort();
    if (timedOut) {
      // Abandoned rows keep their claim; the next start (or the lease's end) sends them again.
      this.#abortSends.abort(new Error('notifier stopping'));
      await inFlight;
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      let nextAt: number | undefined;
      try {
        nextAt = await this.#dispatch();
      } catch (err) {
        this.#log.error({ err: describeError(err) }, 'notification outbox unreadable; trying again in 1 s');
        nextAt = this.#clock.now() + 1000;
      }
      if (!this.#running) break;
      if (this.#woken) continue;
      const wait = Math.min((nextAt ?? Number.POSITIVE_INFINITY) - this.#clock.now(), IDLE_WAIT_MS);
      if (wait > 0) await this.#sleep(wait);
    }
  }

  /** Claims and starts what is due; returns when to look again (undefined: when woken). */
  async #dispatch(): Promise<number | undefined> {
    const now = this.#clock.now();
    const pending = await this.#o.outbox.pending(PENDING_SCAN_LIMIT);
    const { due, nextAt } = pickDue(pending, now, new Set(this.#busy.keys()));
    let next = nextAt;
    for (const row of due) {
      if (this.#busy.size >= this.#concurrency) break;
      const until = new Date(now + this.#o.leaseMs).toISOString();
      if (!(await this.#o.outbox.claim(row.id, this.#owner, until, new Date(now).toISOString()))) {
        next = Math.min(next ?? Number.POSITIVE_INFINITY, now + 1000);
        continue;
      }
      const sending = this.#send(row).finally(() => {
        this.#busy.delete(row.id);
        this.wake();
      });
      this.#busy.set(row.id, sending);
    }
    return next;
  }

  async #send(row: DeliveryRecord): Promise<void> {
    const signal = this.#abortSends.signal;
    let result: SendResult;
    try {
      result = await this.#o.send(row, signal);
    } catch (err) {
      if (signal.aborted) return;
      result = { retry: true, error: describeError(err) };
    }
    const now = this.#clock.now();
    const attempt = this.#attemptOf(row, result, now);
    try {
      if (!(await this.#o.outbox.finish(row.id, attempt))) {
        this.#log.warn({ delivery: row.id }, 'notification claimed by another worker meanwhile');
        return;
      }
    } catch (err) {
      this.#log.error(
        { delivery: row.id, err: describeError(err) },
        'could not record a notification attempt',
      );
      return;
    }
    this.#report(row, attempt);
  }

  #attemptOf(row: DeliveryRecord, result: SendResult, now: number): DeliveryAttempt {
    const at = new Date(now).toISOString();
    const attempts = row.attempts + 1;
    const base = { owner: this.#owner, attempts, at, nextAttemptAt: row.nextAttemptAt, deliveredAt: null };
    if (!result.retry && result.error === undefined) {
      return { ...base, status: 'delivered', lastError: null, deliveredAt: at };
    }
    const error = result.error ?? 'the receiver asked to retry';
    if (!result.retry) return { ...base, status: 'failed', lastError: error };
    const decision = decideRetry(
      { attempts, createdAt: Date.parse(row.createdAt), now, retryAfterMs: result.retryAfterMs },
      this.#policy,
    );
    if ('giveUp' in decision) return { ...base, status: 'failed', lastError: `${decision.giveUp}: ${error}` };
    return {
      ...base,
      status: 'pending',
      lastError: error,
      nextAttemptAt: new Date(decision.retryAt).toISOString(),
    };
  }

  #report(row: DeliveryRecord, a: DeliveryAttempt): void {
    const fields = {
      delivery: row.id,
      alarm: row.alarm,
      environment: row.environment,
      receiver: row.receiver,
      channel: row.channelType,
      attempts: a.attempts,
    };
    if (a.status === 'pending') {
      this.#log.warn(
        { ...fields, error: a.lastError, retryAt: a.nextAttemptAt },
        'notification failed; will retry',
      );
      return;
    }
    if (a.status === 'delivered') this.#log.info(fields, 'notification delivered');
    else this.#log.error({ ...fields, error: a.lastError }, 'notification failed');
    this.#o.onFinal?.(row, {
      status: a.status,
      attempts: a.attempts,
      ...(a.lastError !== null ? { error: a.lastError } : {}),
      at: a.at,
    });
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#woken) return;
    const wake = new AbortController();
    this.#wake = wake;
    try {
      await this.#clock.sleep(ms, wake.signal);
    } catch {
      // woken
    } finally {
      this.#wake = undefined;
    }
  }
}
