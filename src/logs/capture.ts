// Feeds a runtime driver's `log` events into the log service, naming each line's environment and
// version from the instance's spec (the lead may call ingest directly instead, e.g. from the fleet).
import type { WorkloadDriver } from '../runtime/driver.ts';
import type { LogService } from './service.ts';

/** Subscribes to the driver; returns the unsubscribe. */
export function captureRuntimeLogs(
  driver: Pick<WorkloadDriver, 'subscribe' | 'get'>,
  logs: Pick<LogService, 'ingest'>,
): () => void {
  return driver.subscribe((e) => {
    if (e.type !== 'log') return;
    const spec = driver.get(e.instanceId)?.spec;
    if (!spec) return;
    logs.ingest({
      at: e.line.at,
      environment: spec.environment,
      version: spec.version,
      instance: e.instanceId,
      stream: e.line.stream,
      line: e.line.line,
    });
  });
}
