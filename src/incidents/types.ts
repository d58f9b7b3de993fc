// Incidents (issue 4): opened by severe alarms, acknowledged, assigned and resolved by
// people, with a timeline assembled from everything that happened around them.
import type { AlarmTransition, Severity } from '../alarms/types.ts';
import type { IncidentRecord, IncidentStatus } from '../store/types.ts';

export type { IncidentRecord, IncidentStatus, Severity };

/** Where a timeline entry comes from: the incident's own record, a release, or the environment. */
export type TimelineSource = 'incident' | 'release' | 'environment';

export interface TimelineEntry {
  at: string;
  source: TimelineSource;
  /**
   * incident: 'opened' | 'alarm.joined' | 'severity' | 'alarm' | 'notification' | 'ack' | 'assign' |
   * 'note' | 'resolved'; release: 'release.started' | 'release.state' | 'release.step' |
   * 'release.verdict' | 'release.check' | 'release.control' | 'release.rollback' | 'release.finished';
   * environment: 'environment.<event type>' (e.g. 'environment.instance.exited').
   */
  type: string;
  /** One readable line: "alarm high-5xx → ALARM: http_5xx_rate 4.2% > 1% in 2 of 3 periods of 60 s". */
  message: string;
  by: string | null;
  releaseId?: string;
  alarm?: string;
  instance?: string;
  data: Record<string, unknown> | null;
}

/** An incident as the API shows it: the record, its full title, a link and its response times. */
export interface IncidentView extends IncidentRecord {
  /** War-room title: "[shop-api] [P2] high-5xx in production". */
  title: string;
  url: string;
  /** Time to acknowledge (ack − open), ms; null until acknowledged. */
  mttaMs: number | null;
  /** Time to resolve (resolve − open), ms; null until resolved. */
  mttrMs: number | null;
}

export interface IncidentDetail {
  incident: IncidentView;
  timeline: TimelineEntry[];
}

export interface DurationStats {
  /** How many incidents had this measure (acknowledged / resolved ones). */
  count: number;
  meanMs: number | null;
  medianMs: number | null;
}

export interface IncidentStats {
  since: string;
  total: number;
  byStatus: Record<IncidentStatus, number>;
  bySeverity: Record<Severity, number>;
  mtta: DurationStats;
  mttr: DurationStats;
}

/** What the notifier reports about one delivery attempt's outcome. */
export interface NotificationOutcome {
  deliveryId: string;
  alarm: string;
  environment: string;
  /** The notify group of gantry.yaml, e.g. "oncall". */
  receiver: string;
  /** Channel type: email, slack, pagerduty, webhook, sns. */
  channel: string;
  status: 'delivered' | 'failed' | 'retrying';
  attempts: number;
  error?: string;
  at: string;
  /** Whether it told of the alarm firing or of its recovery. */
  kind?: 'firing' | 'resolved';
}

export interface ListQuery {
  status?: IncidentStatus | 'active' | 'all';
  environment?: string;
  limit: number;
}

export interface ResolveInput {
  by: string;
  resolution?: string;
  rootCause?: string;
}

/** Told after each change, e.g. to stop repeated notifications once an incident is acknowledged. */
export interface IncidentChangeEvent {
  kind: 'opened' | 'joined' | 'acknowledged' | 'resolved' | 'assigned' | 'note';
  incident: IncidentView;
  /** The alarm that opened or joined it. */
  alarm?: string;
  /** The person who acted. */
  by?: string;
}

export interface IncidentManager {
  /** Opens, joins or records on an incident; never rejects (failures are logged). */
  onTransition(t: AlarmTransition): Promise<void>;
  /** Records a notification on the incident of its alarm; never rejects. */
  onNotification(d: NotificationOutcome): Promise<void>;
  ack(id: string, by: string): Promise<IncidentView>;
  resolve(id: string, input: ResolveInput): Promise<IncidentView>;
  assign(id: string, assignee: string, by: string): Promise<IncidentView>;
  addNote(id: string, text: string, by: string): Promise<IncidentView>;
  list(q: ListQuery): Promise<IncidentView[]>;
  get(id: string): Promise<IncidentDetail>;
  stats(q: { since: string; environment?: string }): Promise<IncidentStats>;
  postmortem(id: string): Promise<string>;
  /** Resolves once every transition and notification handed over so far is written. */
  idle(): Promise<void>;
}
