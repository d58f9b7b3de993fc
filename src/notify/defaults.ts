// Defaults of the notification pipeline, named once and reused by the notifier and its docs.

/** While an alert fires, its receivers are told again this often (Alertmanager's repeat_interval). */
export const DEFAULT_REPEAT_INTERVAL_MS = 4 * 3_600_000;

/** Retries of a retryable failure: 1 s doubling to 5 min, for up to 24 h after the notification. */
export const DEFAULT_RETRY_INITIAL_MS = 1_000;
export const DEFAULT_RETRY_MAX_MS = 5 * 60_000;
export const DEFAULT_GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** Each backoff delay is shortened by up to this share, so retries of many rows do not march in step. */
export const DEFAULT_RETRY_JITTER = 0.1;

/** One attempt to send (connect, request, answer) may take this long. */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
/** Deliveries sent at the same time. */
export const DEFAULT_CONCURRENCY = 8;
/** How often firing alerts are checked for a due repeat or a silence that ended. */
export const DEFAULT_TICK_MS = 5_000;
/** Pending rows read per scan of the outbox. */
export const PENDING_SCAN_LIMIT = 1_000;
/** Longest sleep of an idle worker; new rows wake it at once, this only bounds a missed wake-up. */
export const IDLE_WAIT_MS = 30_000;
/** How long stop() waits for sends in flight before abandoning them to the next start. */
export const STOP_GRACE_MS = 5_000;

/** Alertmanager's endsAt of an alert that still fires. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export const USER_AGENT = 'Gantry-Notifier/1';
