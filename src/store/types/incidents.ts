// Incidents, the alarms that opened or joined them, and their own timelines.

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';

/** An incident of one (service, environment); at most one is open or acknowledged at a time. */
export interface IncidentRecord {
  id: string; // e.g. inc_01J...
  service: string;
  environment: string;
  /** Brief description, e.g. "high-5xx in production". */
  description: string;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  status: IncidentStatus;
  /** Alarms that opened or joined it, in the order they did. */
  alarms: string[];
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  assignee: string | null;
  resolution: string | null;
  rootCause: string | null;
  updatedAt: string;
}

/** One entry of an incident's own timeline (alarm transitions, notifications, acks, notes…). */
export interface IncidentEntryRecord {
  incidentId: string;
  seq: number; // 1, 2, 3… per incident
  at: string;
  type: string; // 'opened' | 'alarm.joined' | 'severity' | 'alarm' | 'notification' | 'ack' | 'assign' | 'note' | 'resolved'
  message: string;
  by: string | null;
  data: Record<string, unknown> | null;
}

/** An entry to append; an entry whose `key` the incident already has is skipped (idempotent replays). */
export interface NewIncidentEntry {
  at: string;
  type: string;
  message: string;
  by?: string | null;
  data?: Record<string, unknown> | null;
  key?: string | null;
}

export interface IncidentChange {
  /** Applied only while the incident is in one of these states; otherwise update returns undefined. */
  ifStatus?: IncidentStatus[];
  set?: Partial<
    Pick<
      IncidentRecord,
      | 'severity'
      | 'status'
      | 'acknowledgedAt'
      | 'acknowledgedBy'
      | 'resolvedAt'
      | 'resolvedBy'
      | 'assignee'
      | 'resolution'
      | 'rootCause'
    >
  >;
  /** An alarm joining the incident (no-op when it is a member already). */
  addAlarm?: string;
  entries?: NewIncidentEntry[];
}

export interface IncidentRepo {
  /**
   * Opens an incident with its first entries, unless (service, environment) already has an open or
   * acknowledged one: then nothing is written and that one comes back with opened false.
   */
  open(
    i: Pick<IncidentRecord, 'id' | 'service' | 'environment' | 'description' | 'severity' | 'openedAt'> & {
      alarm: string;
    },
    entries: NewIncidentEntry[],
  ): Promise<{ incident: IncidentRecord; opened: boolean }>;
  get(id: string): Promise<IncidentRecord | undefined>;
  /** The open or acknowledged incident of (service, environment), if any. */
  findActive(service: string, environment: string): Promise<IncidentRecord | undefined>;
  /** Newest first. `since`: opened at or after (ISO-8601). */
  list(q: {
    service?: string;
    environment?: string;
    status?: IncidentStatus[];
    since?: string;
    limit?: number;
  }): Promise<IncidentRecord[]>;
  /** Applies a change in one transaction; undefined when the ifStatus guard did not hold. */
  update(id: string, change: IncidentChange): Promise<IncidentRecord | undefined>;
  /** Oldest first. */
  entries(id: string): Promise<IncidentEntryRecord[]>;
}
