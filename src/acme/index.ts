// Automatic HTTPS: certificates for environments' hosts through ACME (HTTP-01), kept sealed in the
// store, renewed at two thirds of their lifetime, watched by metrics and built-in alarms.
export { AcmeManager, type AcmeManagerOptions } from './manager.ts';
export {
  ACME_FAILURES_ALARM,
  ACME_FAILURES_METRIC,
  CERT_EXPIRY_ALARM,
  CERT_EXPIRY_METRIC,
  certificateAlarmRules,
  certificateDatapoint,
  certificateMetrics,
} from './metrics.ts';
export { DEFAULT_RETRY, type RetryPolicy, renewalDueAt, retryDelay } from './schedule.ts';
export type * from './types.ts';
export { type KeySealer, keyAddress } from './vault.ts';
