// The wire between the control plane and a data plane process: one JSON message per line over a
// UNIX socket. The control plane asks (apply, drain, status, stop) and the data plane answers each
// by id; request records flow the other way in batches, unasked. Desired states travel as the
// JSON they are, so fields added to DesiredState need no change here.
import type { Socket } from 'node:net';
import type { DesiredState, RequestRecord } from '../proxy/types.ts';

export type DataPlaneRequest =
  | { id: number; op: 'apply'; desired: DesiredState }
  | { id: number; op: 'drain'; ids: string[]; timeoutMs: number }
  | { id: number; op: 'status' }
  /** Stop accepting (a successor may bind the same ports), finish running requests, exit. */
  | { id: number; op: 'stop' };

/** What a data plane serves now, answered to `status`. */
export interface DataPlaneStatus {
  pid: number;
  /** The Gantry version that runs it; a server of another version replaces it. */
  build: string;
  startedAt: string;
  /** The last desired state applied, null before the first. */
  desired: DesiredState | null;
  addresses: Array<[string, { host: string; port: number }]>;
  inFlight: Array<[string, number]>;
  /** Records waiting for a control plane, and those dropped because the buffer was full. */
  buffered: number;
  dropped: number;
}

export type DataPlaneReply =
  | { id: number; ok: true; result?: unknown }
  | { id: number; ok: false; error: string }
  | { records: RequestRecord[]; dropped: number };

export function send(socket: Socket, message: DataPlaneRequest | DataPlaneReply): void {
  socket.write(`${JSON.stringify(message)}\n`);
}

/** Calls `onMessage` with each line's JSON; a line that is not JSON ends the connection. */
export function readMessages(socket: Socket, onMessage: (message: unknown) => void): void {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
      if (line === '') continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        socket.destroy(new Error('a message on the data plane socket is not JSON'));
        return;
      }
      onMessage(message);
    }
  });
}
