// The runtime module: the driver contract and its implementations.
export type * from './driver.ts';
export { type BackoffOptions, DEFAULT_BACKOFF } from './local/backoff.ts';
export {
  createProcessDriver,
  DEFAULT_LOG_BUFFER_LINES,
  DEFAULT_RESTART_GRACE_MS,
  type ProcessDriverOptions,
} from './local/process-driver.ts';
