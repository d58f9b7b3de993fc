import { describe, expect, it } from 'vitest';
import {
  STARTUP_PROBE_INTERVAL_MS,
  STARTUP_PROBE_MIN_MS,
  startupProbeDelay,
} from '../src/probes/startup-cadence.ts';

describe('startupProbeDelay', () => {
  it('probes every STARTUP_PROBE_MIN_MS at first', () => {
    expect(startupProbeDelay(0, 2000)).toBe(STARTUP_PROBE_MIN_MS);
    expect(startupProbeDelay(60, 2000)).toBe(STARTUP_PROBE_MIN_MS);
    expect(startupProbeDelay(-5, 2000)).toBe(STARTUP_PROBE_MIN_MS);
  });

  it('then waits a quarter of the time the instance has taken so far', () => {
    expect(startupProbeDelay(200, 2000)).toBe(50);
    expect(startupProbeDelay(1000, 2000)).toBe(250);
  });

  it('never waits more than STARTUP_PROBE_INTERVAL_MS, nor more than readiness.interval', () => {
    expect(startupProbeDelay(10_000, 2000)).toBe(STARTUP_PROBE_INTERVAL_MS);
    expect(startupProbeDelay(10_000, 100)).toBe(100);
    expect(startupProbeDelay(0, 10)).toBe(10);
  });

  it('costs few probes over a long start', () => {
    let probes = 0;
    for (let t = 0; t < 30_000; t += startupProbeDelay(t, 2000)) probes++;
    expect(probes).toBeLessThan(80);
    let early = 0;
    for (let t = 0; t < 2000; t += startupProbeDelay(t, 2000)) early++;
    expect(early).toBeLessThan(20);
  });
});
