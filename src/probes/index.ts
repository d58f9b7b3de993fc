export { readHealthVerdict } from './health-json.ts';
export {
  createInstanceProber,
  IMPLICIT_READINESS,
  type InstanceProberOptions,
  STARTUP_PROBE_INTERVAL_MS,
} from './instance-prober.ts';
export { DEFAULT_TCP_TIMEOUT_MS, probeOnce } from './probe-once.ts';
export type { InstanceProber, ProbeEvent, ProbeResult, ProbeTarget, WaitReadyResult } from './types.ts';
