// Alarms: the current state of each, and the history of its transitions.

export type AlarmStateName = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** The persisted state of one alarm: what a restarted server starts from. */
export interface AlarmStateRecord {
  service: string;
  alarm: string;
  environment: string;
  metric: string;
  state: AlarmStateName;
  /** When it entered that state (ISO-8601). */
  since: string;
  reason: string;
  lastTransitionId: string | null;
}

/** One transition of an alarm, as recorded (the same fields as alarms' AlarmTransition). */
export interface AlarmTransitionRecord {
  id: string;
  service: string;
  alarm: string;
  environment: string;
  metric: string;
  severity: 'P1' | 'P2' | 'P3' | 'P4';
  from: AlarmStateName;
  to: AlarmStateName;
  at: string;
  reason: string;
  datapoints: Array<number | null>;
  threshold: { above?: number; below?: number };
  notify: string[];
  runbook: string | null;
  description: string | null;
}

export interface AlarmRepo {
  /** Every persisted alarm state of a service. */
  states(service: string): Promise<AlarmStateRecord[]>;
  /** Appends the transition to the history and sets the alarm's state, in one transaction. */
  recordTransition(t: AlarmTransitionRecord): Promise<void>;
  /** Forgets the state of an alarm removed from the config (its history stays). */
  removeState(service: string, alarm: string, environment: string): Promise<void>;
  /** Newest first. */
  history(q: {
    service: string;
    alarm?: string;
    environment?: string;
    limit?: number;
  }): Promise<AlarmTransitionRecord[]>;
  /** Deletes history older than `before` (ISO-8601); returns how many. */
  prune(before: string): Promise<number>;
}
