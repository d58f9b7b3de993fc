// Gantry's own structured log: pino with stable keys (service, environment, version, instance, release).
// On a terminal the JSON lines are rendered as short human lines; elsewhere they stay JSON.
import { Writable } from 'node:stream';
import { pino } from 'pino';

export type Logger = pino.Logger;

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = opts.level ?? process.env.GANTRY_LOG_LEVEL ?? 'info';
  const dest = opts.destination ?? (process.stderr.isTTY ? humanLines(process.stderr) : process.stderr);
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

/** `12:03:04 INFO  msg key=value …` for people reading a terminal. */
function humanLines(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        try {
          const { level, time, msg, err, ...rest } = JSON.parse(line) as Record<string, unknown>;
          const fields = Object.entries(rest)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          const error = err ? ` ${(err as { message?: string }).message ?? ''}` : '';
          out.write(
            `${String(time).slice(11, 19)} ${LEVELS[level as number] ?? level} ${msg}${error} ${fields}\n`,
          );
        } catch {
          out.write(`${line}\n`);
        }
      }
      done();
    },
  });
}
