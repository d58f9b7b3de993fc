// Centralized logs (issue 5): capture, parsing, redaction, storage, search, live tail, pattern metrics.
export { captureRuntimeLogs } from './capture.ts';
export { parseLine, toLevel } from './parse.ts';
export { PATTERN_HORIZON_MS, type PatternCounter } from './patterns.ts';
export { createRedactor, MIN_SECRET_LENGTH, REDACTED } from './redact.ts';
export { RETAIN_FRACTION, RETENTION_INTERVAL_MS, type RetentionOutcome } from './retention.ts';
export { createLogService, type LogService, type LogServiceOptions } from './service.ts';
export { parseLogTime } from './time.ts';
export {
  type CapturedLine,
  LOG_LEVELS,
  type LogFilter,
  type LogLevel,
  type LogLineView,
  type LogRecord,
  type LogSearchQuery,
  type ParsedLine,
  toLogLineView,
} from './types.ts';
export { FLUSH_LINES, FLUSH_MS, MAX_PENDING_LINES } from './writer.ts';
