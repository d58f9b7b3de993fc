// Gantry's own structured log: pino with stable keys (service, environment, version, instance, release).
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = opts.level ?? process.env.GANTRY_LOG_LEVEL ?? 'info';
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    opts.destination ?? process.stderr,
  );
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
