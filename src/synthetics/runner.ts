// Synthetic checks (gantry.yaml `synthetics:`): each entry runs on its own `every` schedule against
// its environment's public address (an HTTP request, or a command told GANTRY_TARGET_URL), and
// each result becomes datapoints the alarm engine reads: synthetic_failures:<name> (1 failed,
// 0 passed) and synthetic_latency:<name> (ms), at the time the run finished. Runs start on
// multiples of `every` counted from the Unix epoch, so a 30 s synthetic lands once in each 30 s
// alarm period; the first run is at start.
import { isDeepStrictEqual } from 'node:util';
import type { SeriesStore } from '../alarms/series-store.ts';
import { runCheck } from '../checks/index.ts';
import type { CheckConfig, LoadedConfig, SyntheticConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { type Logger, silentLogger } from '../lib/log.ts';

export interface SyntheticResult {
  /** ISO-8601: when the run started (the datapoint's time). */
  at: string;
  ok: boolean;
  /** What happened: "GET /health → 200 in 12 ms", or the first failure. */
  message: string;
  durationMs: number;
}

export interface SyntheticStatus {
  name: string;
  environment: string;
  everyMs: number;
  kind: 'http' | 'command';
  /** "GET /health → 200" or the command line. */
  check: string;
  /** Newest first. */
  lastResults: SyntheticResult[];
  nextRunAt: string | null;
}

export interface SyntheticsRunnerOptions {
  config: () => LoadedConfig;
  /** Base URL of an environment's public (proxy) address, e.g. http://127.0.0.1:8080; undefined when it has none. */
  target: (environment: string) => Promise<string | undefined> | string | undefined;
  /** Where results go as datapoints (the alarm engine's series store). */
  series: SeriesStore;
  clock?: Clock;
  logger?: Logger;
  /** Results kept per synthetic for the API; 10 by default. */
  keepResults?: number;
  /** Secret values masked in results (a failing check quotes the answer it got). */
  redact?: () => readonly string[];
  /**
   * False while an environment has never been given a version: there is nothing to check yet, and
   * a failure then would fire alarms on a server that was just started. True by default.
   */
  deployed?: (environment: string) => boolean;
}

export interface SyntheticsRunner {
  start(): void;
  /** Stops the schedules, cancels runs in progress and waits for them. */
  stop(): Promise<void>;
  /** Re-reads `synthetics:` from config(): unchanged entries keep their schedule and results. */
  reload(): void;
  statuses(): SyntheticStatus[];
  /** Runs one synthetic now, outside its schedule, and records the result like any other. */
  runNow(name: string): Promise<SyntheticResult | undefined>;
}

interface LiveSynthetic {
  def: SyntheticConfig;
  results: SyntheticResult[];
  nextRunAt: number | null;
  running: Promise<void> | undefined;
  stop: AbortController;
  loop: Promise<void> | undefined;
}

export const failuresMetric = (name: string) => `synthetic_failures:${name}`;
export const latencyMetric = (name: string) => `synthetic_latency:${name}`;

export function createSyntheticsRunner(opts: SyntheticsRunnerOptions): SyntheticsRunner {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const keep = opts.keepResults ?? 10;
  let live = new Map<string, LiveSynthetic>();
  let started = false;

  const runOnce = async (s: LiveSynthetic): Promise<SyntheticResult> => {
    const { def } = s;
    const startedAt = clock.now();
    const base = await opts.target(def.environment);
    const hosts = opts.config().config.environments[def.environment]?.hosts;
    const outcome = base
      ? await runCheck(
          withHost(checkOf(def), hosts),
          { url: base },
          {
            signal: s.stop.signal,
            cwd: opts.config().dir,
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
            ...(opts.redact ? { redact: [...opts.redact()] } : {}),
          },
        )
      : { ok: false, message: `environment ${def.environment} has no public address`, durationMs: 0 };
    const result: SyntheticResult = { at: new Date(startedAt).toISOString(), ...outcome };
    if (s.stop.signal.aborted) return result;
    const previous = s.results[0];
    s.results = [result, ...s.results].slice(0, keep);
    // The datapoint belongs to the period the run finished in: that period is not evaluated yet,
    // while the one it started in may be (a slow run across a boundary would otherwise be lost).
    const finishedAt = clock.now();
    opts.series.add(failuresMetric(def.name), def.environment, finishedAt, result.ok ? 0 : 1);
    if (base) opts.series.add(latencyMetric(def.name), def.environment, finishedAt, result.durationMs);
    if (!result.ok && previous?.ok !== false) {
      logger.warn(
        { synthetic: def.name, environment: def.environment, message: result.message },
        'synthetic failed',
      );
    } else if (result.ok && previous?.ok === false) {
      logger.info({ synthetic: def.name, environment: def.environment }, 'synthetic passes again');
    }
    return result;
  };

  const trigger = (s: LiveSynthetic): Promise<void> => {
    if (opts.deployed && !opts.deployed(s.def.environment)) return Promise.resolve();
    s.running ??= runOnce(s)
      .then(() => {})
      .catch((err: unknown) => logger.error({ err, synthetic: s.def.name }, 'synthetic run failed'))
      .finally(() => {
        s.running = undefined;
      });
    return s.running;
  };

  const schedule = async (s: LiveSynthetic): Promise<void> => {
    const every = s.def.every;
    let next = clock.now();
    while (!s.stop.signal.aborted) {
      s.nextRunAt = next;
      const wait = next - clock.now();
      if (wait > 0) {
        try {
          await clock.sleep(wait, s.stop.signal);
        } catch {
          return;
        }
        continue;
      }
      const now = clock.now();
      if (s.running)
        logger.warn({ synthetic: s.def.name }, 'synthetic still running at its next slot; slot skipped');
      else void trigger(s);
      next = (Math.floor(now / every) + 1) * every;
    }
  };

  const launch = (s: LiveSynthetic): void => {
    s.loop = schedule(s);
  };

  const halt = async (s: LiveSynthetic): Promise<void> => {
    s.stop.abort();
    s.nextRunAt = null;
    await s.loop;
    await s.running;
  };

  const install = (): void => {
    const next = new Map<string, LiveSynthetic>();
    for (const def of opts.config().config.synthetics) {
      const kept = live.get(def.name);
      if (kept && isDeepStrictEqual(kept.def, def)) {
        next.set(def.name, kept);
        continue;
      }
      const s: LiveSynthetic = {
        def,
        results: kept && kept.def.environment === def.environment ? kept.results : [],
        nextRunAt: null,
        running: undefined,
        stop: new AbortController(),
        loop: undefined,
      };
      next.set(def.name, s);
      if (started) launch(s);
    }
    for (const [name, s] of live) {
      if (next.get(name) === s) continue;
      void halt(s);
      if (next.get(name)?.def.environment !== s.def.environment) {
        opts.series.remove(failuresMetric(name), s.def.environment);
        opts.series.remove(latencyMetric(name), s.def.environment);
      }
    }
    live = next;
  };

  install();

  return {
    start() {
      if (started) return;
      started = true;
      for (const s of live.values()) launch(s);
    },

    async stop() {
      started = false;
      await Promise.all([...live.values()].map(halt));
      // A later start() schedules them afresh.
      for (const s of live.values()) s.stop = new AbortController();
    },

    reload: install,

    statuses() {
      return [...live.values()]
        .map((s) => ({
          name: s.def.name,
          environment: s.def.environment,
          everyMs: s.def.every,
          kind: s.def.http ? ('http' as const) : ('command' as const),
          check: describeCheck(s.def),
          lastResults: s.results,
          nextRunAt: s.nextRunAt === null ? null : new Date(s.nextRunAt).toISOString(),
        }))
        .sort((a, b) => a.environment.localeCompare(b.environment) || a.name.localeCompare(b.name));
    },

    async runNow(name) {
      const s = live.get(name);
      if (!s) return undefined;
      await s.running;
      await trigger(s);
      return s.results[0];
    },
  };
}

function checkOf(def: SyntheticConfig): CheckConfig {
  if (def.http) return { name: def.name, http: [def.http], timeout: def.timeout };
  return { name: def.name, command: def.command ?? 'true', timeout: def.timeout };
}

/**
 * An environment that names hosts is chosen by the Host header on its (possibly shared) listener:
 * HTTP checks send its first exact name (or a name under its first wildcard) unless they set Host.
 */
export function withHost(check: CheckConfig, hosts: readonly string[] | undefined): CheckConfig {
  if (!check.http || !hosts || hosts.length === 0) return check;
  const exact = hosts.find((h) => !h.startsWith('*.'));
  const host = exact ?? `synthetic.${(hosts[0] as string).slice(2)}`;
  return {
    ...check,
    http: check.http.map((h) =>
      Object.keys(h.headers ?? {}).some((k) => k.toLowerCase() === 'host')
        ? h
        : { ...h, headers: { ...h.headers, host } },
    ),
  };
}

function describeCheck(def: SyntheticConfig): string {
  if (!def.http) return def.command ?? '';
  const latency = def.http.max_latency !== undefined ? ` within ${def.http.max_latency} ms` : '';
  return `${def.http.method} ${def.http.path} → ${def.http.expect_status}${latency}`;
}
