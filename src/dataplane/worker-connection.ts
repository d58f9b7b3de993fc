// The control plane's end of one data plane process's socket: requests answered by id, request
// records handed to the sink as their batches arrive.
import net from 'node:net';
import type { Logger } from '../lib/log.ts';
import type { MetricsSink } from '../proxy/types.ts';
import {
  type DataPlaneReply,
  type DataPlaneRequest,
  type DataPlaneStatus,
  readMessages,
  send,
} from './protocol.ts';

/** A request as the caller writes it; the connection numbers it. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Ask = WithoutId<DataPlaneRequest>;

export interface WorkerEvents {
  sink: MetricsSink;
  logger: Logger;
  /** The data plane process went away without being told to (it crashed or was killed). */
  onLost: (connection: WorkerConnection) => void;
}

export class WorkerConnection {
  readonly socketPath: string;
  readonly #socket: net.Socket;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #closed = false;
  #detached = false;

  private constructor(socketPath: string, socket: net.Socket, events: WorkerEvents) {
    this.socketPath = socketPath;
    this.#socket = socket;
    readMessages(socket, (m) => this.#receive(m as DataPlaneReply, events));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
      for (const p of this.#pending.values()) p.reject(new Error(`data plane ${socketPath} is gone`));
      this.#pending.clear();
      if (!this.#detached) events.onLost(this);
    });
  }

  /** Connects to a data plane's socket; rejects when nothing listens there. */
  static connect(socketPath: string, events: WorkerEvents): Promise<WorkerConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new WorkerConnection(socketPath, socket, events));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  ask<T>(request: Ask): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`data plane ${this.socketPath} is gone`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      send(this.#socket, { ...request, id } as DataPlaneRequest);
    });
  }

  status(): Promise<DataPlaneStatus> {
    return this.ask<DataPlaneStatus>({ op: 'status' });
  }

  /** Leaves the data plane running and forgets it (it buffers records until the next control plane). */
  detach(): void {
    this.#detached = true;
    this.#socket.destroy();
  }

  #receive(m: DataPlaneReply, events: WorkerEvents): void {
    if ('records' in m) {
      for (const r of m.records) events.sink.record(r);
      if (m.dropped > 0)
        events.logger.warn(
          { dropped: m.dropped, socket: this.socketPath },
          'the data plane dropped request records while no control plane was connected (buffer full)',
        );
      return;
    }
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
  }
}
