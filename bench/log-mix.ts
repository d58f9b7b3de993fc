// The log lines the log and store benchmarks ingest: pino JSON, plain lines, an error every
// thousand, over two versions and environments, one line per millisecond ending now.
import type { LogService } from '../src/logs/index.ts';

const WORDS = [
  'payment',
  'order',
  'checkout',
  'cart',
  'user',
  'session',
  'invoice',
  'refund',
  'stock',
  'email',
];

/** Ingests `n` lines of the mix; returns lines per second. */
export async function fillLogs(logs: LogService, n: number): Promise<number> {
  const start = Date.now() - n; // one line per ms, ending now
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const w = WORDS[i % WORDS.length] as string;
    const w2 = WORDS[(i * 7 + 3) % WORDS.length] as string;
    const line =
      i % 1000 === 0
        ? `{"level":50,"msg":"payment failed","order":${i},"code":"card_declined"}`
        : i % 3 === 0
          ? `{"level":30,"msg":"${w} updated","id":${i},"by":"${w2}"}`
          : `INFO ${w} ${w2} handled request ${i} in ${i % 97}ms`;
    logs.ingest({
      at: start + i,
      environment: i % 4 === 0 ? 'staging' : 'production',
      version: i % 2 === 0 ? 'v1' : 'v2',
      instance: `production-v${(i % 2) + 1}-${i % 3}`,
      stream: 'stdout',
      line,
    });
    if (i % 50_000 === 0) await logs.flush();
  }
  await logs.flush();
  return n / ((performance.now() - t0) / 1000);
}
