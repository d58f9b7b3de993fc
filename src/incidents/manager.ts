// The incident manager: alarm transitions open or join incidents and become timeline entries,
// notifications are recorded on them, and people acknowledge, assign, annotate and resolve them.
import type { AlarmTransition } from '../alarms/types.ts';
import type { LoadedConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { IncidentChange, IncidentRecord, IncidentStatus, Store } from '../store/types.ts';
import { recordNotification, recordTransition } from './alarm-recorder.ts';
import { formatUtc } from './format.ts';
import { renderPostmortem } from './postmortem.ts';
import { computeStats, responseTimes } from './response-times.ts';
import { assembleTimeline } from './timeline.ts';
import type {
  IncidentChangeEvent,
  IncidentDetail,
  IncidentManager,
  IncidentStats,
  IncidentView,
  ListQuery,
  NotificationOutcome,
  ResolveInput,
} from './types.ts';

export interface IncidentManagerOptions {
  config: () => LoadedConfig;
  store: Pick<Store, 'events' | 'incidents' | 'releases'>;
  clock?: Pick<Clock, 'now'>;
  logger?: Logger;
  /** Base URL of this Gantry (e.g. http://127.0.0.1:7070), for links to incidents. */
  externalUrl: string;
  /** Called after each change (never awaited; a throwing listener is logged). */
  onChange?: (e: IncidentChangeEvent) => void;
}

const ACTIVE: IncidentStatus[] = ['open', 'acknowledged'];

export function createIncidentManager(opts: IncidentManagerOptions): IncidentManager {
  return new DefaultIncidentManager(opts);
}

/** Link to an incident in the API (the dashboard will answer the same path). */
export function incidentUrl(externalUrl: string, id: string): string {
  return `${externalUrl.replace(/\/+$/, '')}/api/v1/incidents/${encodeURIComponent(id)}`;
}

class DefaultIncidentManager implements IncidentManager {
  readonly #opts: IncidentManagerOptions;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #log: Logger;
  // Alarms and notifications are handled one at a time, in arrival order, so that two alarms
  // firing together join one incident and a notification finds the incident its alarm opened.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: IncidentManagerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger ?? silentLogger;
  }

  get #repo() {
    return this.#opts.store.incidents;
  }

  onTransition(t: AlarmTransition): Promise<void> {
    return this.#serial(async () => {
      const openAt = this.#opts.config().config.incidents.open_at;
      const done = await recordTransition(this.#repo, openAt, t, this.#log);
      if (done && done.kind !== 'recorded') {
        const incident = await this.#require(done.incidentId);
        this.#emit({ kind: done.kind, incident: this.#view(incident), alarm: t.alarm });
      }
    }).catch((err: unknown) =>
      this.#log.error(
        { err, alarm: t.alarm, environment: t.environment },
        'could not record alarm on incident',
      ),
    );
  }

  onNotification(d: NotificationOutcome): Promise<void> {
    return this.#serial(() => recordNotification(this.#repo, this.#service(), d)).catch((err: unknown) =>
      this.#log.error({ err, alarm: d.alarm, delivery: d.deliveryId }, 'could not record notification'),
    );
  }

  async idle(): Promise<void> {
    await this.#queue;
  }

  async ack(id: string, by: string): Promise<IncidentView> {
    return this.#serial(async () => {
      const at = this.#nowIso();
      const change: IncidentChange = {
        ifStatus: ['open'],
        set: { status: 'acknowledged', acknowledgedAt: at, acknowledgedBy: by },
        entries: [{ at, type: 'ack', message: `acknowledged by ${by}`, by }],
      };
      return this.#change(id, 'acknowledge', change, { kind: 'acknowledged', by });
    });
  }

  async resolve(id: string, input: ResolveInput): Promise<IncidentView> {
    return this.#serial(async () => {
      const at = this.#nowIso();
      const resolution = input.resolution?.trim() || undefined;
      const rootCause = input.rootCause?.trim() || undefined;
      const change: IncidentChange = {
        ifStatus: ACTIVE,
        set: {
          status: 'resolved',
          resolvedAt: at,
          resolvedBy: input.by,
          ...(resolution !== undefined ? { resolution } : {}),
          ...(rootCause !== undefined ? { rootCause } : {}),
        },
        entries: [
          {
            at,
            type: 'resolved',
            message: `resolved by ${input.by}${resolution ? `: ${resolution}` : ''}`,
            by: input.by,
            data: { resolution: resolution ?? null, rootCause: rootCause ?? null },
          },
        ],
      };
      return this.#change(id, 'resolve', change, { kind: 'resolved', by: input.by });
    });
  }

  async assign(id: string, assignee: string, by: string): Promise<IncidentView> {
    return this.#serial(async () => {
      const current = await this.#require(id);
      if (current.assignee === assignee) return this.#view(current);
      const at = this.#nowIso();
      const from = current.assignee ? ` (was ${current.assignee})` : '';
      const entry = {
        at,
        type: 'assign',
        message: `assigned to ${assignee} by ${by}${from}`,
        by,
        data: { assignee },
      };
      return this.#change(id, 'assign', { set: { assignee }, entries: [entry] }, { kind: 'assigned', by });
    });
  }

  async addNote(id: string, text: string, by: string): Promise<IncidentView> {
    return this.#serial(async () => {
      const at = this.#nowIso();
      const entry = { at, type: 'note', message: `note by ${by}: ${text}`, by, data: { text } };
      return this.#change(id, 'annotate', { entries: [entry] }, { kind: 'note', by });
    });
  }

  async list(q: ListQuery): Promise<IncidentView[]> {
    const status =
      q.status === undefined || q.status === 'all' ? undefined : q.status === 'active' ? ACTIVE : [q.status];
    const rows = await this.#repo.list({
      service: this.#service(),
      limit: q.limit,
      ...(status ? { status } : {}),
      ...(q.environment !== undefined ? { environment: q.environment } : {}),
    });
    return rows.map((r) => this.#view(r));
  }

  async get(id: string): Promise<IncidentDetail> {
    return (await this.#detail(id)).detail;
  }

  async stats(q: { since: string; environment?: string }): Promise<IncidentStats> {
    const rows = await this.#repo.list({
      service: this.#service(),
      since: q.since,
      ...(q.environment !== undefined ? { environment: q.environment } : {}),
    });
    return computeStats(rows, q.since);
  }

  async postmortem(id: string): Promise<string> {
    const { detail, releases, now } = await this.#detail(id);
    return renderPostmortem({ incident: detail.incident, timeline: detail.timeline, releases, now });
  }

  async #detail(id: string) {
    const incident = await this.#require(id);
    const now = this.#clock.now();
    const entries = await this.#repo.entries(id);
    const { timeline, releases } = await assembleTimeline(this.#opts.store, incident, entries, now);
    return { detail: { incident: this.#view(incident), timeline }, releases, now };
  }

  async #change(
    id: string,
    action: string,
    change: IncidentChange,
    event: Pick<IncidentChangeEvent, 'kind' | 'by'>,
  ): Promise<IncidentView> {
    const before = await this.#require(id);
    if (change.ifStatus && !change.ifStatus.includes(before.status)) throw stateError(before, action);
    const after = await this.#repo.update(id, change);
    if (!after) throw stateError(await this.#require(id), action);
    this.#log.info({ incident: id, action, status: after.status, by: event.by }, `incident ${event.kind}`);
    const view = this.#view(after);
    this.#emit({ ...event, incident: view });
    return view;
  }

  async #require(id: string): Promise<IncidentRecord> {
    const rec = await this.#repo.get(id);
    if (!rec) throw new GantryError('UNKNOWN_INCIDENT', `incident ${id} does not exist`);
    return rec;
  }

  #view(i: IncidentRecord): IncidentView {
    return {
      ...i,
      title: `[${i.service}] [${i.severity}] ${i.description}`,
      url: incidentUrl(this.#opts.externalUrl, i.id),
      ...responseTimes(i),
    };
  }

  #emit(e: IncidentChangeEvent): void {
    try {
      this.#opts.onChange?.(e);
    } catch (err) {
      this.#log.error({ err, incident: e.incident.id }, 'incident listener failed');
    }
  }

  #service(): string {
    return this.#opts.config().config.service;
  }

  #nowIso(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function stateError(i: IncidentRecord, action: string): GantryError {
  const details = { incidentId: i.id, status: i.status };
  if (i.status === 'resolved') {
    const who = i.resolvedBy ? ` by ${i.resolvedBy}` : '';
    const when = i.resolvedAt ? ` at ${formatUtc(i.resolvedAt)}` : '';
    const what =
      action === 'resolve'
        ? `incident ${i.id} was already resolved${who}${when}`
        : `cannot ${action} incident ${i.id}: it was resolved${who}${when}`;
    return new GantryError('INVALID_INCIDENT_STATE', what, { details });
  }
  const who = i.acknowledgedBy ? ` by ${i.acknowledgedBy}` : '';
  const when = i.acknowledgedAt ? ` at ${formatUtc(i.acknowledgedAt)}` : '';
  return new GantryError('INVALID_INCIDENT_STATE', `incident ${i.id} was already acknowledged${who}${when}`, {
    details,
  });
}
