// An instance as the fleet supervises it, and how it is written to the store so that a restarted
// server can adopt it.
import type { Logger } from '../lib/log.ts';
import type { InstanceProber, ProbeResult } from '../probes/index.ts';
import type { InstanceInfo } from '../runtime/driver.ts';
import type { InstanceRecord, Store } from '../store/types.ts';

export interface ManagedInstance {
  id: string;
  environment: string;
  version: string;
  releaseId: string | null;
  info: InstanceInfo;
  prober: InstanceProber | null;
  ready: boolean;
  /** Exits seen before the instance first became ready. */
  exitsBeforeReady: number;
  everReady: boolean;
  lastProbe: ProbeResult | null;
  stopping: boolean;
}

/** Records the instance's current state; a failed write is logged, never thrown. */
export async function persistInstance(
  store: Store,
  runtime: InstanceRecord['runtime'],
  m: ManagedInstance,
  logger: Logger,
): Promise<void> {
  if (m.stopping && m.info.status === 'stopped') return;
  try {
    await store.instances.upsert({
      id: m.id,
      service: m.info.spec.service,
      environment: m.environment,
      version: m.version,
      releaseId: m.releaseId,
      runtime,
      state: m.info.status,
      handle: m.info.handle,
      port: m.info.port,
      restarts: m.info.restarts,
    });
  } catch (err) {
    logger.error({ err, instance: m.id }, 'could not record instance');
  }
}
