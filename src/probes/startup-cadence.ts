// How often readiness is probed while an instance starts. The release waits for the first passing
// probe before it switches traffic, so the gap between the service listening and the next probe is
// time every deploy pays. Probing at a fixed pace of STARTUP_PROBE_INTERVAL_MS cost up to that
// much per deploy; instead the pause grows with the time the instance has taken so far: fast early
// (a service up in 200 ms is noticed within ~50 ms), no more than a quarter of its start time later,
// never slower than STARTUP_PROBE_INTERVAL_MS nor than readiness.interval. A start of 2 s costs
// about 16 probes, one of 30 s about 70.

/** During startup, readiness is probed at least this often (and at most readiness.interval apart). */
export const STARTUP_PROBE_INTERVAL_MS = 500;
/** The shortest pause between two startup probes. */
export const STARTUP_PROBE_MIN_MS = 25;
/** The pause after a failed startup probe, as a share of the time since the instance started. */
export const STARTUP_PROBE_SHARE = 0.25;

/** The pause before the next readiness probe of an instance that started `elapsedMs` ago. */
export function startupProbeDelay(elapsedMs: number, readinessIntervalMs: number): number {
  const grown = Math.max(STARTUP_PROBE_MIN_MS, Math.round(Math.max(0, elapsedMs) * STARTUP_PROBE_SHARE));
  return Math.min(grown, STARTUP_PROBE_INTERVAL_MS, readinessIntervalMs);
}
