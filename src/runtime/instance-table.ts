// The bookkeeping both runtime drivers share: the instances by id, the ids and ports reserved by
// starts and adoptions still under way, the order in which instances stopped (so old stopped ones
// are forgotten), and the listeners of runtime events.
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type {
  AdoptRecord,
  InstanceInfo,
  InstanceSpec,
  InstanceStatus,
  LogLine,
  RuntimeEvent,
} from './driver.ts';
import { pickFreePort } from './local/free-port.ts';

/** Stopped instances stay visible to `get`/`recentLogs` until this many newer ones have stopped. */
export const STOPPED_KEPT = 100;

/** What the table needs of a driver's instance (a supervised process or a container). */
export interface TableInstance {
  readonly spec: InstanceSpec;
  readonly port: number;
  readonly status: InstanceStatus;
  info(): InstanceInfo;
  recentLogs(limit?: number): LogLine[];
  stop(graceMs: number): Promise<void>;
  detach(): Promise<void>;
}

export class InstanceTable<I extends TableInstance> {
  readonly #instances = new Map<string, I>();
  readonly #pendingIds = new Set<string>();
  readonly #pendingPorts = new Set<number>();
  readonly #stoppedOrder: string[] = [];
  readonly #listeners = new Set<(e: RuntimeEvent) => void>();
  readonly #runtime: string;
  readonly #logger: Logger;
  #closed = false;

  /** `runtime` names the driver in messages ("process", "docker"). */
  constructor(runtime: string, logger: Logger) {
    this.#runtime = runtime;
    this.#logger = logger;
  }

  /** Tells every listener; a listener that throws is logged and the others still hear. */
  readonly emit = (e: RuntimeEvent): void => {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch (err) {
        this.#logger.error({ err: (err as Error).message, event: e.type }, 'runtime event listener failed');
      }
    }
  };

  subscribe(fn: (e: RuntimeEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => {
      this.#listeners.delete(fn);
    };
  }

  /** The spec's port, or a free one no instance (running or being started) holds. */
  async choosePort(spec: InstanceSpec): Promise<number> {
    if (spec.port !== undefined) return spec.port;
    for (;;) {
      const port = await pickFreePort(this.#takenPorts());
      // Another start may have picked the same port while we awaited.
      if (!this.#takenPorts().has(port)) return port;
    }
  }

  #takenPorts(): Set<number> {
    const ports = new Set(this.#pendingPorts);
    for (const inst of this.#instances.values()) if (inst.status !== 'stopped') ports.add(inst.port);
    return ports;
  }

  /** Reserves an id for a start or adoption, or throws when it is in use. */
  claimId(id: string): void {
    if (this.#closed) throw new Error(`the ${this.#runtime} runtime is closed; no instance can be started`);
    const existing = this.#instances.get(id);
    if (this.#pendingIds.has(id) || (existing && existing.status !== 'stopped')) {
      throw new Error(`instance ${id} already exists; stop it first or use a new instance id`);
    }
    this.#pendingIds.add(id);
  }

  releaseId(id: string): void {
    this.#pendingIds.delete(id);
  }

  reservePort(port: number): void {
    this.#pendingPorts.add(port);
  }

  releasePort(port: number): void {
    this.#pendingPorts.delete(port);
  }

  register(inst: I): InstanceInfo {
    const index = this.#stoppedOrder.indexOf(inst.spec.id);
    if (index >= 0) this.#stoppedOrder.splice(index, 1);
    this.#instances.set(inst.spec.id, inst);
    return inst.info();
  }

  /** Holds the record's id and port while `adopt` runs (claimId's checks first); registers what it answers. */
  async adopt(rec: AdoptRecord, adopt: () => Promise<I | undefined>): Promise<InstanceInfo | undefined> {
    this.claimId(rec.spec.id);
    this.reservePort(rec.port);
    try {
      const inst = await adopt();
      return inst ? this.register(inst) : undefined;
    } finally {
      this.releaseId(rec.spec.id);
      this.releasePort(rec.port);
    }
  }

  find(id: string): I | undefined {
    return this.#instances.get(id);
  }

  mustGet(id: string): I {
    const inst = this.#instances.get(id);
    if (!inst) {
      throw new GantryError(
        'NOT_FOUND',
        `instance ${id} is not run by this server's ${this.#runtime} runtime`,
        {
          hint: 'Run `gantry status` to list the instances of each environment.',
        },
      );
    }
    return inst;
  }

  /** True while the id is being started or adopted, or its instance has not stopped. */
  inUse(id: string): boolean {
    return this.#pendingIds.has(id) || (this.#instances.get(id)?.status ?? 'stopped') !== 'stopped';
  }

  async stop(id: string, graceMs: number): Promise<void> {
    const inst = this.#instances.get(id);
    if (!inst) return;
    const wasStopped = inst.status === 'stopped';
    await inst.stop(graceMs);
    if (!wasStopped && !this.#stoppedOrder.includes(id)) this.#forgetOldStopped(id);
  }

  #forgetOldStopped(id: string): void {
    this.#stoppedOrder.push(id);
    while (this.#stoppedOrder.length > STOPPED_KEPT) {
      const old = this.#stoppedOrder.shift() as string;
      if (this.#instances.get(old)?.status === 'stopped') this.#instances.delete(old);
    }
  }

  get(id: string): InstanceInfo | undefined {
    return this.#instances.get(id)?.info();
  }

  list(): InstanceInfo[] {
    return [...this.#instances.values()].map((inst) => inst.info());
  }

  recentLogs(id: string, limit?: number): LogLine[] {
    return this.#instances.get(id)?.recentLogs(limit) ?? [];
  }

  async close(closeOpts: { stopInstances: boolean; graceMs: number }): Promise<void> {
    this.#closed = true;
    const all = [...this.#instances.values()];
    if (closeOpts.stopInstances) await Promise.all(all.map((inst) => inst.stop(closeOpts.graceMs)));
    await Promise.all(all.map((inst) => inst.detach()));
    this.#listeners.clear();
  }
}
