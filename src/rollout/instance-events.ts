// The environment's durable event log of its instances (crashes, restarts, readiness flips), kept
// for history and incident timelines. Writing an event never fails the supervision that caused it.
import type { Logger } from '../lib/log.ts';
import type { Store } from '../store/types.ts';
import type { ManagedInstance } from './managed-instance.ts';

export class InstanceEvents {
  readonly #store: Store;
  readonly #log: Logger;

  constructor(store: Store, logger: Logger) {
    this.#store = store;
    this.#log = logger;
  }

  record(m: ManagedInstance, type: string, message: string, data?: Record<string, unknown>): void {
    this.#store.events
      .append({
        service: m.info.spec.service,
        environment: m.environment,
        instance: m.id,
        version: m.version,
        type,
        message,
        data: data ?? null,
      })
      .catch((err: unknown) => this.#log.error({ err, instance: m.id }, 'could not record event'));
  }
}
