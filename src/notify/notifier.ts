// The notifier: alarm transitions in, deliveries out. Each transition is grouped, passes the stages
// (silence, dedup, fan-out) and its deliveries are written to the outbox together with the group's
// new state, in one transaction, before anything is sent; the outbox worker sends them. A ticker
// sends repeats of alerts that still fire, and firings whose silence has ended.
import type { AlarmTransition } from '../alarms/types.ts';
import type { LoadedConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import { createTimestamper } from '../store/timestamps.ts';
import type {
  AlertGroupRecord,
  DeliveryRecord,
  DeliveryStatus,
  SilenceRecord,
  Store,
} from '../store/types.ts';
import { groupKeyOf } from './alert.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './backoff.ts';
import { acknowledges, type ChannelSenders, channelSenders } from './channels/index.ts';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_REPEAT_INTERVAL_MS,
  DEFAULT_SEND_TIMEOUT_MS,
  DEFAULT_TICK_MS,
} from './defaults.ts';
import { deliverRow } from './deliver.ts';
import { escalate } from './escalation-stage.ts';
import { applyTransition, readGroupAlert } from './group.ts';
import { type FinalOutcome, OutboxWorker } from './outbox-worker.ts';
import { describeError } from './redact.ts';
import { SilenceBook } from './silence-book.ts';
import { fanoutStage, notifyPipeline, type Stage, type StageContext } from './stages.ts';
import { Ticker } from './ticker.ts';
import type {
  AckInput,
  AckResult,
  DeliveryOutcome,
  DeliveryView,
  SilenceInput,
  SilenceView,
} from './types.ts';
import { viewDelivery } from './views.ts';

export interface NotifierOptions {
  config: () => LoadedConfig;
  store: Pick<Store, 'dialect' | 'notifications'>;
  clock?: Clock;
  logger?: Logger;
  /** Gantry's base URL, for links back to an alarm. */
  externalUrl: string;
  /** Value of a `${secret:NAME}` reference; process.env[NAME] by default. */
  secret?: (name: string) => string | undefined;
  repeatIntervalMs?: number;
  retry?: Partial<RetryPolicy>;
  /** How often firing alerts are checked for repeats and ended silences. */
  tickMs?: number;
  sendTimeoutMs?: number;
  concurrency?: number;
  /** Key of the signed acknowledgement links in escalation pages (none: no link). */
  ackLinkKey?: Buffer;
  /** Channel implementations; the real ones by default. */
  senders?: Partial<ChannelSenders>;
}

export interface Notifier {
  handle(t: AlarmTransition): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the repeats of a firing alert until it resolves; PagerDuty channels get an acknowledge. */
  ack(q: AckInput): Promise<AckResult>;
  createSilence(input: SilenceInput): Promise<SilenceView>;
  listSilences(q?: { expired?: boolean }): Promise<SilenceView[]>;
  expireSilence(id: string): Promise<SilenceView>;
  deliveries(q?: { limit?: number; status?: DeliveryStatus }): Promise<DeliveryView[]>;
  /** Final outcomes of deliveries; returns the unsubscribe function. */
  subscribe(fn: (o: DeliveryOutcome) => void): () => void;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  return new PipelineNotifier(opts);
}

class PipelineNotifier implements Notifier {
  readonly #o: NotifierOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #stamp: () => string;
  readonly #externalUrl: string;
  readonly #repeatMs: number;
  readonly #worker: OutboxWorker;
  readonly #ticker: Ticker;
  readonly #silences: SilenceBook;
  readonly #listeners = new Set<(o: DeliveryOutcome) => void>();
  #tail: Promise<unknown> = Promise.resolve();

  constructor(opts: NotifierOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger ?? silentLogger;
    this.#stamp = createTimestamper(this.#clock);
    this.#externalUrl = opts.externalUrl.replace(/\/+$/, '');
    this.#repeatMs = opts.repeatIntervalMs ?? DEFAULT_REPEAT_INTERVAL_MS;
    const timeoutMs = opts.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    const secret = opts.secret ?? ((name: string) => process.env[name]);
    const senders = { ...channelSenders, ...opts.senders };
    this.#worker = new OutboxWorker({
      outbox: opts.store.notifications.outbox,
      send: (row, signal) =>
        deliverRow(row, { config: () => opts.config().config, secret, senders, timeoutMs }, signal),
      clock: this.#clock,
      logger: this.#log,
      policy: { ...DEFAULT_RETRY_POLICY, ...opts.retry },
      concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
      // An email may wait for connect, greeting and answer in turn; a claim outlives all of them.
      leaseMs: Math.max(60_000, 4 * timeoutMs),
      // One server owns a SQLite file: claims found at start belong to a process that is gone.
      releaseClaimsAtStart: opts.store.dialect === 'sqlite',
      onFinal: (row, outcome) => this.#publish(row, outcome),
    });
    this.#ticker = new Ticker(this.#clock, opts.tickMs ?? DEFAULT_TICK_MS, () => this.#tick());
    this.#silences = new SilenceBook(opts.store.notifications.silences, this.#clock, this.#log, () =>
      this.#ticker.poke(),
    );
  }

  handle(t: AlarmTransition): Promise<void> {
    return this.#serial(async () => {
      const now = this.#clock.now();
      const prev = await this.#repos.alerts.get(groupKeyOf(t.alarm, t.environment, t.service));
      const group = applyTransition(prev, t, new Date(now).toISOString(), this.#externalUrl);
      if (!group) return;
      const ctx = await this.#run(group, t.id, now, await this.#silences.current(now), notifyPipeline, true);
      await this.#commit(ctx);
    });
  }

  async start(): Promise<void> {
    await this.#worker.start();
    this.#ticker.start();
  }

  async stop(): Promise<void> {
    await this.#ticker.stop();
    await this.#worker.stop();
    await this.#tail.catch(() => {});
  }

  ack(q: AckInput): Promise<AckResult> {
    return this.#serial(async () => {
      const now = this.#clock.now();
      const group = await this.#repos.alerts.get(
        groupKeyOf(q.alarm, q.environment, this.#o.config().config.service),
      );
      if (group?.status !== 'firing') {
        throw new GantryError('ALERT_NOT_FIRING', `alarm ${q.alarm} is not firing in ${q.environment}`);
      }
      if (group.ackedAt === null) {
        group.ackedAt = new Date(now).toISOString();
        group.ackedBy = q.by?.trim() || null;
        group.updatedAt = group.ackedAt;
        // Only a receiver that was told it fires has something to acknowledge.
        const stages: Stage[] = group.notified === 'firing' ? [fanoutStage(acknowledges)] : [];
        const ctx = await this.#run(group, undefined, now, [], async (c, alerts) => {
          c.kind = 'acknowledge';
          if (group.ackedBy !== null) c.ackedBy = group.ackedBy;
          for (const stage of stages) await stage(c, alerts);
          return alerts;
        });
        await this.#commit(ctx);
        this.#log.info(
          { alarm: q.alarm, environment: q.environment, by: group.ackedBy },
          'alert acknowledged',
        );
      }
      return {
        alarm: group.alarm,
        environment: group.environment,
        groupKey: group.groupKey,
        ackedAt: group.ackedAt,
        ackedBy: group.ackedBy,
        firingSince: readGroupAlert(group).alert.startsAt,
      };
    });
  }

  createSilence(input: SilenceInput): Promise<SilenceView> {
    return this.#silences.create(input);
  }

  listSilences(q: { expired?: boolean } = {}): Promise<SilenceView[]> {
    return this.#silences.list(q);
  }

  expireSilence(id: string): Promise<SilenceView> {
    return this.#silences.expire(id);
  }

  async deliveries(q: { limit?: number; status?: DeliveryStatus } = {}): Promise<DeliveryView[]> {
    const rows = await this.#repos.outbox.list(q);
    return rows.map(viewDelivery);
  }

  subscribe(fn: (o: DeliveryOutcome) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  get #repos() {
    return this.#o.store.notifications;
  }

  /** Transitions, acks and ticks change a group's state one at a time. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => {});
    return run;
  }

  async #run(
    group: AlertGroupRecord,
    transitionId: string | undefined,
    now: number,
    silences: SilenceRecord[],
    pipeline: Stage,
    escalating = false,
  ): Promise<StageContext> {
    const { alert, evidence } = readGroupAlert(group);
    const ctx: StageContext = {
      now,
      stamp: this.#stamp,
      group,
      transitionId,
      evidence,
      externalUrl: this.#externalUrl,
      silences,
      channels: (receiver) => this.#o.config().config.notify[receiver],
      repeatIntervalMs: this.#repeatMs,
      deliveries: [],
      unknownReceivers: [],
    };
    await pipeline(ctx, [alert]);
    // The escalation steps that are due (escalation-stage.ts), beside what the pipeline passed.
    if (escalating) escalate(ctx, alert, this.#o.config().config, this.#o.ackLinkKey);
    return ctx;
  }

  async #commit(ctx: StageContext): Promise<void> {
    const g = ctx.group;
    const inserted = await this.#repos.alerts.commit(g, ctx.deliveries);
    const fields = { alarm: g.alarm, environment: g.environment, status: g.status };
    if (ctx.silencedBy) this.#log.info({ ...fields, silence: ctx.silencedBy.id }, 'alert silenced');
    if (ctx.unknownReceivers.length > 0) {
      this.#log.warn(
        { ...fields, groups: ctx.unknownReceivers },
        'alarm names notify groups that gantry.yaml does not define; nobody in them is told',
      );
    }
    if (inserted.length > 0) {
      this.#log.info({ ...fields, kind: ctx.kind, deliveries: inserted.length }, 'notifications queued');
      this.#worker.wake();
    }
  }

  async #tick(): Promise<void> {
    try {
      await this.#serial(async () => {
        const now = this.#clock.now();
        const firing = await this.#repos.alerts.list({ status: 'firing' });
        if (firing.length === 0) return;
        const silences = await this.#silences.current(now);
        for (const group of firing) {
          const ctx = await this.#run(group, undefined, now, silences, notifyPipeline, true);
          if (ctx.kind !== undefined || ctx.deliveries.length > 0) await this.#commit(ctx);
        }
      });
    } catch (err) {
      this.#log.error({ err: describeError(err) }, 'could not check firing alerts for repeats');
    }
  }

  #publish(row: DeliveryRecord, o: FinalOutcome): void {
    const outcome: DeliveryOutcome = {
      deliveryId: row.id,
      alarm: row.alarm,
      environment: row.environment,
      receiver: row.receiver,
      channel: row.channelType as DeliveryOutcome['channel'],
      status: o.status,
      attempts: o.attempts,
      ...(o.error !== undefined ? { error: o.error } : {}),
      at: o.at,
    };
    for (const fn of this.#listeners) {
      try {
        fn(outcome);
      } catch (err) {
        this.#log.error({ err: describeError(err) }, 'a delivery subscriber failed');
      }
    }
  }
}
