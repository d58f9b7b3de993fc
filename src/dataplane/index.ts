// The data plane as separate processes (`gantry server`'s default): adopts the data plane a
// previous server left running, or starts one, or — when the running one is of another build or
// worker count, or an upgrade asks for it — starts a new one that takes over the ports (SO_REUSEPORT)
// before the old one stops accepting, drains and exits. No connection is refused on the way.
import type { Logger } from '../lib/log.ts';
import type { DesiredState, MetricsSink } from '../proxy/types.ts';
import type { DataPlaneStatus } from './protocol.ts';
import { RemoteDataPlane } from './remote-plane.ts';
import { connectRunning, socketDirOf, spawnWorker } from './spawn.ts';
import type { WorkerConnection, WorkerEvents } from './worker-connection.ts';

export { RECORD_BUFFER_CAPACITY } from './record-buffer.ts';

export interface DataPlaneProcessOptions {
  dataDir: string;
  /** Processes sharing each listener's port (SO_REUSEPORT). */
  workers: number;
  /** Gantry's version: a running data plane of another build is replaced. */
  build: string;
  sink: MetricsSink;
  logger: Logger;
  /** Replace a running data plane even when it matches (the upgrade path, `gantry server --upgrade`). */
  replace: boolean;
}

export interface DataPlaneProcesses {
  plane: RemoteDataPlane;
  /** What the running data plane served when this control plane found it; null when it started one. */
  served: DesiredState | null;
}

export async function openDataPlaneProcesses(opts: DataPlaneProcessOptions): Promise<DataPlaneProcesses> {
  const { logger } = opts;
  const dir = await socketDirOf(opts.dataDir);
  let plane: RemoteDataPlane | undefined;
  const events: WorkerEvents = {
    sink: opts.sink,
    logger,
    onLost: (w) => plane?.replaceLost(w),
  };
  const spawnOne = () => spawnWorker(dir, opts.build, events);
  const running = await connectRunning(dir, events);
  const statuses = await Promise.all(running.map((w) => w.status()));
  const current = statuses.find((s) => s.desired !== null) ?? statuses[0];
  const matches =
    running.length === opts.workers && statuses.every((s) => s.build === opts.build) && !opts.replace;

  if (running.length > 0 && matches) {
    plane = new RemoteDataPlane({ workers: running, logger, respawn: spawnOne });
    if (current) plane.adoptPins(current);
    logger.info(
      { workers: running.length, pids: statuses.map((s) => s.pid) },
      'adopted the running data plane',
    );
    return { plane, served: current?.desired ?? null };
  }

  const fresh: WorkerConnection[] = [];
  try {
    for (let i = 0; i < opts.workers; i++) fresh.push(await spawnOne());
  } catch (err) {
    for (const w of fresh) await w.ask({ op: 'stop' }).catch(() => undefined);
    for (const w of running) w.detach();
    throw err;
  }
  plane = new RemoteDataPlane({ workers: fresh, logger, respawn: spawnOne });
  if (running.length === 0 || !current?.desired) {
    for (const w of running) void retire(w, logger);
    logger.info({ workers: fresh.length }, 'data plane started');
    return { plane, served: null };
  }
  // Handover: the new processes bind the old ports beside the old ones, then the old ones leave.
  plane.adoptPins(current);
  await plane.apply(current.desired);
  for (const w of running) void retire(w, logger);
  logger.info(
    { workers: fresh.length, replaced: statuses.map((s: DataPlaneStatus) => `${s.pid} (${s.build})`) },
    'data plane handed over to new processes',
  );
  return { plane, served: current.desired };
}

/** Tells an old data plane process to stop accepting, finish its requests and exit. */
async function retire(w: WorkerConnection, logger: Logger): Promise<void> {
  await w
    .ask({ op: 'stop' })
    .catch((err: unknown) =>
      logger.warn({ err, socket: w.socketPath }, 'the old data plane process did not stop cleanly'),
    );
  w.detach();
}
