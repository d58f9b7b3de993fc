// Log patterns of gantry.yaml (`logs.patterns`) counted as lines arrive, into per-second counters
// per (pattern, environment), and read back as the metric log_matches:<name> for the alarm engine.
//
// A datapoint is the number of matching lines captured in [from, to). It is null (missing) for a
// window that starts before counting began (a restarted server does not know what happened while it
// was down), 0 when it was counting and nothing matched, and undefined for a metric that is not
// log_matches:<name> of a configured pattern (not this source's).
import type { ExtraMetricSource } from '../alarms/datapoints.ts';
import type { LogsConfig } from '../config/types.ts';

/** Counters kept this long; alarms look back evaluation_periods × period at most. */
export const PATTERN_HORIZON_MS = 24 * 60 * 60 * 1000;

interface CompiledPattern {
  name: string;
  environment: string | undefined;
  test: (line: string) => boolean;
}

export interface PatternCounter extends ExtraMetricSource {
  /** Counts the line against every pattern of its environment. */
  count(environment: string, at: number, line: string): void;
  /** Drops counters older than the horizon. */
  prune(now: number): void;
}

export function createPatternCounter(opts: {
  patterns: () => LogsConfig['patterns'];
  /** When counting began: windows starting earlier have no datapoint. */
  since: () => number;
}): PatternCounter {
  let source: LogsConfig['patterns'] | undefined;
  let compiled: CompiledPattern[] = [];
  // pattern name → environment → second → count
  const counts = new Map<string, Map<string, Map<number, number>>>();

  const current = (): CompiledPattern[] => {
    const patterns = opts.patterns();
    if (patterns !== source) {
      source = patterns;
      compiled = patterns.map(compilePattern);
    }
    return compiled;
  };

  return {
    count(environment, at, line) {
      for (const p of current()) {
        if (p.environment !== undefined && p.environment !== environment) continue;
        if (!p.test(line)) continue;
        let byEnv = counts.get(p.name);
        if (!byEnv) {
          byEnv = new Map();
          counts.set(p.name, byEnv);
        }
        let bySecond = byEnv.get(environment);
        if (!bySecond) {
          bySecond = new Map();
          byEnv.set(environment, bySecond);
        }
        const second = Math.floor(at / 1000);
        bySecond.set(second, (bySecond.get(second) ?? 0) + 1);
      }
    },
    datapoint({ metric, environment, from, to }) {
      if (!metric.startsWith('log_matches:')) return undefined;
      const name = metric.slice('log_matches:'.length);
      if (!current().some((p) => p.name === name)) return undefined;
      if (from < opts.since()) return null;
      const bySecond = counts.get(name)?.get(environment);
      if (!bySecond) return 0;
      let sum = 0;
      for (let s = Math.ceil(from / 1000); s * 1000 < to; s++) sum += bySecond.get(s) ?? 0;
      return sum;
    },
    prune(now) {
      const oldest = Math.floor((now - PATTERN_HORIZON_MS) / 1000);
      for (const byEnv of counts.values()) {
        for (const bySecond of byEnv.values()) {
          for (const s of bySecond.keys()) if (s < oldest) bySecond.delete(s);
        }
      }
    },
  };
}

function compilePattern(p: LogsConfig['patterns'][number]): CompiledPattern {
  if (p.regex) {
    const re = new RegExp(p.match);
    return { name: p.name, environment: p.environment, test: (line) => re.test(line) };
  }
  return { name: p.name, environment: p.environment, test: (line) => line.includes(p.match) };
}
