// Notifications: alarm transitions become Alertmanager-shaped alerts, pass the stages
// (group, silence, dedup, fan-out) and land in the outbox, which channels drain.
import type { NotifyChannel, SmtpConfig } from '../config/types.ts';
import type {
  DeliveryKind,
  DeliveryRecord,
  DeliveryStatus,
  SilenceMatcher,
  SilenceRecord,
} from '../store/types.ts';

export type AlertStatus = 'firing' | 'resolved';
export type ChannelType = NotifyChannel['type'];

/** An alert exactly as Alertmanager's webhook (version 4) carries it. */
export interface Alert {
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** ZERO_TIME while firing. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The numbers behind an alert, for channels that show more than labels. */
export interface AlertEvidence {
  threshold: { above?: number; below?: number };
  datapoints: Array<number | null>;
}

/** One notification of one alert group to one receiver: the payload of an outbox row. */
export interface Notification {
  kind: DeliveryKind;
  groupKey: string;
  /** Notify group name. */
  receiver: string;
  status: AlertStatus;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  /** Gantry's base URL. */
  externalURL: string;
  alerts: Alert[];
  evidence: AlertEvidence;
  /** Who acknowledged the alert, on acknowledge notifications. */
  ackedBy?: string;
}

/** What a channel says about one attempt (Alertmanager's `(retry, err)`). */
export interface SendResult {
  retry: boolean;
  /** Absent on success. Never holds a secret: it is redacted again before it is stored. */
  error?: string;
  /** The receiver asked to wait this long (Retry-After). */
  retryAfterMs?: number;
}

export interface SendContext {
  deliveryId: string;
  notification: Notification;
  /** Resolves `${secret:NAME}` references in a channel field; values are remembered for redaction. */
  resolve(value: string): string;
  smtp: SmtpConfig | undefined;
  timeoutMs: number;
  /** Aborted when the notifier stops. */
  signal: AbortSignal;
}

export type ChannelSender<T extends ChannelType> = (
  channel: Extract<NotifyChannel, { type: T }>,
  ctx: SendContext,
) => Promise<SendResult>;

/** The final outcome of a delivery, published to subscribers (the incident timeline). */
export interface DeliveryOutcome {
  deliveryId: string;
  alarm: string;
  environment: string;
  receiver: string;
  channel: ChannelType;
  status: 'delivered' | 'failed';
  attempts: number;
  error?: string;
  at: string;
}

/** A row of the delivery log, as the API shows it (no payload, no claim). */
export interface DeliveryView {
  id: string;
  alarm: string;
  environment: string;
  receiver: string;
  channel: string;
  channelIndex: number;
  kind: DeliveryKind;
  /** The alert's status the notification told. */
  alertStatus: AlertStatus;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  /** When the next attempt is due; null once delivered or failed. */
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export type SilenceState = 'pending' | 'active' | 'expired';

export interface SilenceView extends SilenceRecord {
  state: SilenceState;
}

export interface SilenceInput {
  matchers: Array<{ name: string; value: string; isRegex?: boolean }>;
  /** ISO-8601; give this or `duration`. */
  endsAt?: string;
  /** A duration like 1h or 30m; give this or `endsAt`. */
  duration?: string;
  /** ISO-8601, default now. */
  startsAt?: string;
  comment: string;
  createdBy?: string;
}

export interface AckInput {
  alarm: string;
  environment: string;
  by?: string;
}

export interface AckResult {
  alarm: string;
  environment: string;
  groupKey: string;
  ackedAt: string;
  ackedBy: string | null;
  /** Since when the alert fires. */
  firingSince: string;
}

export type { DeliveryRecord, DeliveryStatus, SilenceMatcher };
