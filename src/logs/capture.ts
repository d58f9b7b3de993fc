// Feeds a runtime driver's `log` events into the log service, naming each line's environment and
// version from the instance's spec (the lead may call ingest directly instead, e.g. from the fleet),
// and tells it when an instance crashed, so that the crash's unlevelled stderr becomes `error`.
import type { WorkloadDriver } from '../runtime/driver.ts';
import { isCrash } from './crash-output.ts';
import type { LogService } from './service.ts';

/** Subscribes to the driver; returns the unsubscribe. */
export function captureRuntimeLogs(
  driver: Pick<WorkloadDriver, 'subscribe' | 'get'>,
  logs: Pick<LogService, 'ingest' | 'crashed'>,
  onError: (err: unknown) => void = () => {},
): () => void {
  return driver.subscribe((e) => {
    if (e.type === 'exited') {
      if (isCrash(e.exit)) logs.crashed({ instance: e.instance.id, at: e.exit.at }).catch(onError);
      return;
    }
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
