// CPU and memory of every instance, every few seconds, as its runtime measures them (the process
// driver sums /proc over the instance's process group; docker reads the engine's stats).
import { type Clock, systemClock } from '../lib/clock.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { InstanceSample } from './instance-samples.ts';

export const DEFAULT_SAMPLE_INTERVAL_MS = 5000;

export interface TrackedInstance {
  instanceId: string;
  environment: string;
  version: string;
  /** Restarts so far, passed on to instance_restarts. */
  restarts?: number;
}

/** What a runtime reports of one instance (the runtime's InstanceStats). */
export interface MeasuredUsage {
  /** 100 = one full core since the previous reading; null when unknown (first reading). */
  cpuPercent: number | null;
  memoryBytes: number | null;
}

export interface InstanceSampler {
  /** Samples every listed instance now. */
  sample(): Promise<void>;
  start(): void;
  stop(): void;
}

export function createInstanceSampler(opts: {
  onSample: (s: InstanceSample) => void;
  /** The instances to sample, read at every sample. */
  list: () => TrackedInstance[];
  /** Usage of one instance; undefined when it is not running. */
  measure: (instanceId: string) => Promise<MeasuredUsage | undefined>;
  intervalMs?: number;
  clock?: Clock;
  logger?: Logger;
}): InstanceSampler {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  let timer: NodeJS.Timeout | undefined;
  let busy = false;

  const sample = async (): Promise<void> => {
    for (const t of opts.list()) {
      const usage = await opts.measure(t.instanceId);
      if (!usage) continue;
      opts.onSample({
        instanceId: t.instanceId,
        environment: t.environment,
        version: t.version,
        at: clock.now(),
        cpu: usage.cpuPercent === null ? null : usage.cpuPercent / 100,
        rssBytes: usage.memoryBytes,
        ...(t.restarts !== undefined ? { restarts: t.restarts } : {}),
      });
    }
  };

  return {
    sample,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        sample()
          .catch((err: unknown) => logger.warn({ err }, 'could not sample instances'))
          .finally(() => {
            busy = false;
          });
      }, opts.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
