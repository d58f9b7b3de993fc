// The DataPlane contract, kept by data plane processes over their sockets. Every worker gets the
// same desired state; a listener asked on port 0 is pinned to a free port chosen here first, so
// that all workers (and a successor taking over) share it through SO_REUSEPORT. A worker that dies
// while the control plane runs is replaced and given the last desired state.
import net from 'node:net';
import type { Logger } from '../lib/log.ts';
import type { DataPlane, DesiredState, EnvironmentRoute } from '../proxy/types.ts';
import type { DataPlaneStatus } from './protocol.ts';
import type { WorkerConnection } from './worker-connection.ts';

type Address = { host: string; port: number };

export class RemoteDataPlane implements DataPlane {
  readonly #workers: WorkerConnection[];
  readonly #log: Logger;
  readonly #respawn: () => Promise<WorkerConnection>;
  /** Bound port of each environment whose listen address asks for port 0. */
  readonly #pins = new Map<string, number>();
  #last: DesiredState | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: {
    workers: WorkerConnection[];
    logger: Logger;
    respawn: () => Promise<WorkerConnection>;
  }) {
    this.#workers = [...opts.workers];
    this.#log = opts.logger;
    this.#respawn = opts.respawn;
  }

  /** Learns the ports a running data plane bound, so re-applying its state keeps them. */
  adoptPins(status: DataPlaneStatus): void {
    for (const [environment, a] of status.addresses) this.#pins.set(environment, a.port);
    this.#last = status.desired;
  }

  apply(desired: DesiredState): Promise<void> {
    const run = this.#queue.then(() => this.#applyNow(desired));
    this.#queue = run.catch(() => {});
    return run;
  }

  async drain(backendIds: string[], timeoutMs: number): Promise<number> {
    const left = await Promise.all(
      this.#workers.map((w) => w.ask<number>({ op: 'drain', ids: backendIds, timeoutMs }).catch(() => 0)),
    );
    return left.reduce((a, b) => a + b, 0);
  }

  async inFlight(): Promise<Map<string, number>> {
    const total = new Map<string, number>();
    for (const s of await this.#statuses()) {
      for (const [id, n] of s.inFlight) total.set(id, (total.get(id) ?? 0) + n);
    }
    return total;
  }

  async addresses(): Promise<Map<string, Address>> {
    const first = this.#workers[0];
    return new Map(first ? (await first.status()).addresses : []);
  }

  /** The process ids of the workers. */
  async pids(): Promise<number[]> {
    return (await this.#statuses()).map((s) => s.pid);
  }

  /** Stops every worker: listeners close, running requests finish, the processes exit. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await Promise.all(this.#workers.map((w) => w.ask({ op: 'stop' }).catch(() => undefined)));
  }

  /** Leaves every worker serving and disconnects (the upgrade path: a new server adopts them). */
  detach(): void {
    this.#closed = true;
    for (const w of this.#workers) w.detach();
  }

  /** Called when a worker went away unasked: starts another with the last desired state. */
  replaceLost(lost: WorkerConnection): void {
    const i = this.#workers.indexOf(lost);
    if (i < 0 || this.#closed) return;
    this.#workers.splice(i, 1);
    this.#log.error({ socket: lost.socketPath }, 'a data plane process died; starting another');
    this.#queue = this.#queue.then(async () => {
      try {
        const w = await this.#respawn();
        if (this.#last) await w.ask({ op: 'apply', desired: this.#pinned(this.#last) });
        this.#workers.push(w);
      } catch (err) {
        this.#log.error({ err }, 'could not replace the data plane process');
      }
    });
  }

  async #applyNow(desired: DesiredState): Promise<void> {
    if (this.#closed) throw new Error('the data plane is closed');
    this.#last = desired;
    if (this.#workers.length === 0) throw new Error('no data plane process is running');
    for (const r of desired.environments) {
      if (portOf(r.listen) === 0 && !this.#pins.has(r.environment))
        this.#pins.set(r.environment, await freePort(hostOf(r.listen)));
    }
    const pinned = this.#pinned(desired);
    const results = await Promise.allSettled(
      this.#workers.map((w) => w.ask({ op: 'apply', desired: pinned })),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** The desired state with every port-0 listener replaced by the port already bound for it. */
  #pinned(desired: DesiredState): DesiredState {
    return {
      ...desired,
      environments: desired.environments.map((r): EnvironmentRoute => {
        const port = this.#pins.get(r.environment);
        if (port === undefined || portOf(r.listen) !== 0) return r;
        return { ...r, listen: `${r.listen.slice(0, r.listen.lastIndexOf(':'))}:${port}` };
      }),
    };
  }

  #statuses(): Promise<DataPlaneStatus[]> {
    return Promise.all(this.#workers.map((w) => w.status()));
  }
}

function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

function hostOf(listen: string): string {
  return listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '') || '127.0.0.1';
}

/** A port free on `host` now (as the API's own port 0 is resolved before listening). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject).listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
