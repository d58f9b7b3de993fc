// The data plane's own check of its backends, so that it routes only to instances that answer
// even while no control plane probes them (a server down for an hour while an instance crashed).
// Every CHECK_INTERVAL_MS each backend gets a TCP connect; after FAILURES_TO_DOWN failed ones in a
// row it leaves the routing table, and the first successful one brings it back. This is coarser
// than the control plane's readiness probes (a listening socket is not a ready service), which
// keep deciding what is routed while a control plane is connected.
import net from 'node:net';
import type { Backend, DesiredState } from '../proxy/types.ts';

export const CHECK_INTERVAL_MS = 1_000;
export const FAILURES_TO_DOWN = 2;
const CONNECT_TIMEOUT_MS = 500;

export class BackendWatch {
  readonly #failures = new Map<string, number>();
  readonly #down = new Set<string>();
  readonly #onChange: () => void;
  #backends: Backend[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** `onChange` runs when a backend went down or came back. */
  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  /** Ids of the backends out of the table now. */
  get down(): string[] {
    return [...this.#down];
  }

  start(): void {
    this.#timer = setInterval(() => void this.#checkAll(), CHECK_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The backends to watch: those of the desired state. */
  watch(desired: DesiredState): void {
    this.#backends = desired.environments.flatMap((r) => r.pools.flatMap((p) => p.backends));
    const ids = new Set(this.#backends.map((b) => b.id));
    for (const id of [...this.#failures.keys()]) if (!ids.has(id)) this.#failures.delete(id);
    for (const id of [...this.#down]) if (!ids.has(id)) this.#down.delete(id);
  }

  /** The desired state without the backends that stopped answering. */
  routable(desired: DesiredState): DesiredState {
    if (this.#down.size === 0) return desired;
    return {
      ...desired,
      environments: desired.environments.map((r) => ({
        ...r,
        pools: r.pools.map((p) => ({ ...p, backends: p.backends.filter((b) => !this.#down.has(b.id)) })),
      })),
    };
  }

  async #checkAll(): Promise<void> {
    let changed = false;
    await Promise.all(
      this.#backends.map(async (b) => {
        const up = await answers(b.url);
        const failures = up ? 0 : (this.#failures.get(b.id) ?? 0) + 1;
        this.#failures.set(b.id, failures);
        if (up && this.#down.delete(b.id)) changed = true;
        if (failures >= FAILURES_TO_DOWN && !this.#down.has(b.id)) {
          this.#down.add(b.id);
          changed = true;
        }
      }),
    );
    if (changed) this.#onChange();
  }
}

/** Does something accept a TCP connection at the backend's address? */
function answers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
