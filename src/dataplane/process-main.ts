// Entry of a data plane process (see spawn.ts): the proxy listeners of createDataPlane, bound with
// SO_REUSEPORT, driven over a UNIX socket `<pid>.sock` in the directory it is given. It outlives
// the control plane that started it: with no control plane connected it keeps serving the last
// desired state and buffers request records, and it exits only when told to stop (a message,
// SIGTERM or SIGINT) or when its socket file is gone (its data dir was removed).
import { existsSync } from 'node:fs';
import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IdleCompaction } from '../lib/idle-compaction.ts';
import { createLogger } from '../lib/log.ts';
import { createDataPlane } from '../proxy/data-plane.ts';
import type { DesiredState } from '../proxy/types.ts';
import { BackendWatch } from './backend-watch.ts';
import { type DataPlaneRequest, type DataPlaneStatus, readMessages, send } from './protocol.ts';
import { FLUSH_INTERVAL_MS, RecordBuffer } from './record-buffer.ts';

/** How often a data plane with no control plane checks that its socket file still exists. */
const SOCKET_CHECK_INTERVAL_MS = 5_000;
/**
 * How long a closing listener keeps idle keep-alive connections, answering each request with
 * `Connection: close`, before closing those still idle: clients move to the successor between two
 * requests instead of racing a close.
 */
const CLOSE_LINGER_MS = 2_000;

const { values } = parseArgs({
  options: { 'socket-dir': { type: 'string' }, build: { type: 'string', default: 'unknown' } },
});
const socketDir = values['socket-dir'];
if (!socketDir) throw new Error('usage: process-main.ts --socket-dir DIR [--build VERSION]');
const socketPath = path.join(socketDir, `${process.pid}.sock`);
const logger = createLogger({ destination: process.stdout }).child({
  component: 'data-plane',
  pid: process.pid,
});
const records = new RecordBuffer();
// Quiet after a burst of requests: give the memory the burst grew back to the system.
new IdleCompaction({ progress: () => records.received });
const plane = createDataPlane({ sink: records, logger, reusePort: true, closeLingerMs: CLOSE_LINGER_MS });
const startedAt = new Date().toISOString();
let desired: DesiredState | null = null;
// Backends that stop accepting connections leave the table until they answer again.
const watch = new BackendWatch(() => {
  if (!desired || stopping) return;
  logger.warn({ down: watch.down }, 'a backend stopped or resumed answering connections');
  plane.apply(watch.routable(desired)).catch((err: unknown) => logger.error({ err }, 'apply failed'));
});
let control: net.Socket | null = null;
let stopping: Promise<void> | null = null;

const server = net.createServer((socket) => {
  // One control plane at a time: a newer one (a restarted server) replaces an older one.
  control?.destroy();
  control = socket;
  logger.info('control plane connected');
  socket.on('close', () => {
    if (control !== socket) return;
    control = null;
    if (!stopping)
      logger.warn({ buffered: records.size }, 'control plane gone; serving the last desired state');
  });
  socket.on('error', () => {});
  socket.on('drain', flush);
  readMessages(socket, (m) => {
    const req = m as DataPlaneRequest;
    answer(req).then(
      (result) => send(socket, { id: req.id, ok: true, result }),
      (err: unknown) => send(socket, { id: req.id, ok: false, error: (err as Error).message ?? String(err) }),
    );
  });
  flush();
});

async function answer(req: DataPlaneRequest): Promise<unknown> {
  switch (req.op) {
    case 'apply':
      desired = req.desired;
      watch.watch(req.desired);
      return plane.apply(watch.routable(req.desired));
    case 'drain':
      return plane.drain(req.ids, req.timeoutMs);
    case 'status':
      return status();
    case 'stop':
      await stop();
      return undefined;
  }
}

async function status(): Promise<DataPlaneStatus> {
  return {
    pid: process.pid,
    build: values.build ?? 'unknown',
    startedAt,
    desired,
    addresses: [...(await plane.addresses())],
    inFlight: [...(await plane.inFlight())],
    buffered: records.size,
    dropped: records.dropped,
  };
}

/** Sends what the buffer holds; a control plane that reads slowly leaves the rest in the (bounded) buffer. */
function flush(): void {
  const socket = control;
  if (!socket) return;
  while (records.size > 0 && !socket.writableNeedDrain) send(socket, records.take());
}

/**
 * Stops accepting, lets running requests finish (up to the proxy's close grace, 30 s) and hands
 * the last records over.
 */
function stop(): Promise<void> {
  stopping ??= (async () => {
    logger.info('data plane stopping');
    clearInterval(flushTimer);
    clearInterval(socketCheck);
    watch.stop();
    await plane.close();
    flush();
    server.close();
    await rm(socketPath, { force: true });
    // The answer to `stop` still has to leave; exit once this turn has written it.
    setTimeout(() => process.exit(0), 50);
  })();
  return stopping;
}

const flushTimer = setInterval(flush, FLUSH_INTERVAL_MS);
const socketCheck = setInterval(() => {
  if (existsSync(socketPath) || stopping) return;
  logger.warn({ socket: socketPath }, 'socket file removed (data dir gone?): stopping');
  void stop();
}, SOCKET_CHECK_INTERVAL_MS);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void stop());
}

await rm(socketPath, { force: true });
await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
await chmod(socketPath, 0o600);
watch.start();
logger.info({ socket: socketPath }, 'data plane ready');
