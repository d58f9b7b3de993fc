export { readHealthVerdict } from './health-json.ts';
export {
  createInstanceProber,
  IMPLICIT_READINESS,
  type InstanceProberOptions,
} from './instance-prober.ts';
export { DEFAULT_TCP_TIMEOUT_MS, probeOnce } from './probe-once.ts';
export { STARTUP_PROBE_INTERVAL_MS, startupProbeDelay } from './startup-cadence.ts';
export type { InstanceProber, ProbeEvent, ProbeResult, ProbeTarget, WaitReadyResult } from './types.ts';
