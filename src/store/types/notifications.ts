// The notification pipeline's state: the outbox of deliveries, the per-alert notification log, silences.

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type DeliveryKind = 'firing' | 'resolved' | 'repeat' | 'acknowledge';

/** One notification to one channel of one notify group: a row of the outbox, written before it is sent. */
export interface DeliveryRecord {
  /** Deterministic (e.g. `<transition id>:<receiver>:<channel index>`), so it is never inserted twice. */
  id: string;
  groupKey: string;
  service: string;
  alarm: string;
  environment: string;
  /** Notify group name (gantry.yaml `notify:` key). */
  receiver: string;
  channelIndex: number;
  channelType: string;
  kind: DeliveryKind;
  /** The notification as the channels render it (JSON without secrets); owned by the notify module. */
  payload: unknown;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  /** The worker sending it, until `claimedUntil`; null when nobody holds it. */
  claimedBy: string | null;
  claimedUntil: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export type NewDelivery = Pick<
  DeliveryRecord,
  | 'id'
  | 'groupKey'
  | 'service'
  | 'alarm'
  | 'environment'
  | 'receiver'
  | 'channelIndex'
  | 'channelType'
  | 'kind'
  | 'payload'
  | 'nextAttemptAt'
  | 'createdAt'
>;

/** The outcome of one attempt, written only while `owner` still holds the row. */
export interface DeliveryAttempt {
  owner: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  deliveredAt: string | null;
  at: string;
}

/** What the receivers of one alert group were told (Alertmanager's notification log), for de-duplication. */
export interface AlertGroupRecord {
  groupKey: string;
  service: string;
  alarm: string;
  environment: string;
  status: 'firing' | 'resolved';
  /** Id of the transition that started the current (or last) firing. */
  episodeId: string;
  /** The alert as last built (JSON); owned by the notify module. */
  alert: unknown;
  /** Notify groups of the rule. */
  receivers: string[];
  /** The status the receivers were last told, null before the first notification. */
  notified: 'firing' | 'resolved' | null;
  lastNotifiedAt: string | null;
  /** Repeat notifications sent in the current firing. */
  repeats: number;
  ackedAt: string | null;
  ackedBy: string | null;
  updatedAt: string;
}

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
}

export interface SilenceRecord {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface OutboxRepo {
  /** Pending deliveries (of one service when given), oldest first. */
  pending(limit: number, service?: string): Promise<DeliveryRecord[]>;
  /** Takes a pending row for `owner` until `until`, unless another worker holds it; true when taken. */
  claim(id: string, owner: string, until: string, now: string): Promise<boolean>;
  /** Frees every claim (a restarted single server: the holders are gone); returns how many. */
  releaseClaims(): Promise<number>;
  /** Records an attempt and frees the claim; false when `owner` no longer held the row. */
  finish(id: string, attempt: DeliveryAttempt): Promise<boolean>;
  get(id: string): Promise<DeliveryRecord | undefined>;
  /** Newest first. */
  list(q: { limit?: number; status?: DeliveryStatus; service?: string }): Promise<DeliveryRecord[]>;
}

export interface AlertLogRepo {
  /**
   * Saves a group's state and inserts its new deliveries in one transaction; a delivery whose id
   * exists already is left as it is. Returns the ids inserted.
   */
  commit(group: AlertGroupRecord, deliveries: NewDelivery[]): Promise<string[]>;
  get(groupKey: string): Promise<AlertGroupRecord | undefined>;
  list(q?: { status?: 'firing' | 'resolved' }): Promise<AlertGroupRecord[]>;
}

export interface SilenceRepo {
  create(s: SilenceRecord): Promise<SilenceRecord>;
  get(id: string): Promise<SilenceRecord | undefined>;
  /** Newest first; `endsAfter` keeps those ending after that time (ISO-8601). */
  list(q?: { endsAfter?: string; limit?: number }): Promise<SilenceRecord[]>;
  /** Sets endsAt (and updatedAt); undefined when no such silence. */
  end(id: string, endsAt: string, at: string): Promise<SilenceRecord | undefined>;
}

/** The notification pipeline's persistent state. */
export interface NotificationRepos {
  outbox: OutboxRepo;
  alerts: AlertLogRepo;
  silences: SilenceRepo;
}
