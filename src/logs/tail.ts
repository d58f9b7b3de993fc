// Live tail: subscribers with a filter, handed each stored line that matches it.
import type { LogFilter, LogRecord } from './types.ts';
import { atLeastLevel } from './types.ts';

export class LogTail {
  readonly #subscribers = new Set<{ match: (r: LogRecord) => boolean; fn: (r: LogRecord) => void }>();

  subscribe(filter: LogFilter, fn: (r: LogRecord) => void): () => void {
    const entry = { match: compileFilter(filter), fn };
    this.#subscribers.add(entry);
    return () => {
      this.#subscribers.delete(entry);
    };
  }

  get size(): number {
    return this.#subscribers.size;
  }

  publish(records: LogRecord[]): void {
    if (this.#subscribers.size === 0) return;
    for (const s of this.#subscribers) {
      for (const r of records) {
        if (!s.match(r)) continue;
        try {
          s.fn(r);
        } catch {
          // A broken subscriber must not stop the others or the writer.
        }
      }
    }
  }
}

/** The filter as a predicate; `q` keeps lines holding every word (quotes group a phrase), any case. */
export function compileFilter(f: LogFilter): (r: LogRecord) => boolean {
  const terms = f.q
    ? [...f.q.matchAll(/"([^"]*)"?|(\S+)/g)].map((m) => (m[1] ?? m[2] ?? '').toLowerCase())
    : [];
  const words = terms.filter((t) => t !== '').map((t) => (t.endsWith('*') ? t.slice(0, -1) : t));
  return (r) =>
    (f.environment === undefined || r.environment === f.environment) &&
    (f.version === undefined || r.version === f.version) &&
    (f.instance === undefined || r.instance === f.instance) &&
    (f.level === undefined || atLeastLevel(r.level, f.level)) &&
    (f.since === undefined || r.at >= f.since) &&
    (f.until === undefined || r.at < f.until) &&
    (words.length === 0 || matchesWords(r.raw.toLowerCase(), words));
}

function matchesWords(text: string, words: string[]): boolean {
  return words.every((w) => text.includes(w));
}
