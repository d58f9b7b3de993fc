// Alarms: CloudWatch semantics, evaluated the moment each period closes.
// The alarm engine publishes AlarmTransition; notifications and incidents consume it.

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export type Severity = 'P1' | 'P2' | 'P3' | 'P4';

/** One change of an alarm's state, with the evidence. */
export interface AlarmTransition {
  /** Stable id of this transition (e.g. alt_…), also used to de-duplicate downstream. */
  id: string;
  service: string;
  alarm: string;
  environment: string;
  metric: string;
  severity: Severity;
  from: AlarmStateValue;
  to: AlarmStateValue;
  /** ISO-8601: when the state changed (the end of the period that decided it). */
  at: string;
  /** Human sentence with numbers: "http_5xx_rate 4.2% > 1% in 2 of the last 3 periods of 60 s". */
  reason: string;
  /** The evaluated datapoints, oldest first (null: missing). */
  datapoints: Array<number | null>;
  threshold: { above?: number; below?: number };
  /** Notify groups of the rule (gantry.yaml `notify:` names). */
  notify: string[];
  runbook: string | null;
  description: string | null;
}

/** The current state of one alarm, for the API, CLI and dashboard. */
export interface AlarmStatus {
  service: string;
  alarm: string;
  environment: string;
  metric: string;
  severity: Severity;
  state: AlarmStateValue;
  /** When it entered that state. */
  since: string;
  reason: string;
  lastValue: number | null;
  lastEvaluatedAt: string | null;
  threshold: { above?: number; below?: number };
  periodMs: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  notify: string[];
  runbook: string | null;
}

export interface AlarmTransitionSource {
  subscribe(fn: (t: AlarmTransition) => void): () => void;
}
