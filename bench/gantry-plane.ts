// Gantry's data plane as `gantry server` runs it: separate processes (1 or more workers sharing
// the port with SO_REUSEPORT) driven over their UNIX socket, with this process as the control
// plane receiving every request record. The data dir is a temp dir, removed at stop.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataPlaneProcesses } from '../src/dataplane/index.ts';
import type { RemoteDataPlane } from '../src/dataplane/remote-plane.ts';
import { silentLogger } from '../src/lib/log.ts';
import { createMemorySink } from '../src/metrics/memory-sink.ts';

export interface GantryPlane {
  port: number;
  plane: RemoteDataPlane;
  stop(): Promise<void>;
}

export async function startGantryPlane(upstreamPort: number, workers: number): Promise<GantryPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gantry-bench-plane-'));
  const { plane } = await openDataPlaneProcesses({
    dataDir,
    workers,
    build: 'bench',
    sink: createMemorySink({ capacity: 100_000 }),
    logger: silentLogger,
    replace: false,
  });
  await plane.apply({
    environments: [
      {
        environment: 'bench',
        listen: '127.0.0.1:0',
        pools: [
          {
            version: 'v1',
            weight: 100,
            backends: [{ id: 'bench-1', version: 'v1', url: `http://127.0.0.1:${upstreamPort}` }],
          },
        ],
      },
    ],
  });
  const port = (await plane.addresses()).get('bench')?.port;
  if (!port) throw new Error('the data plane opened no listener');
  return {
    port,
    plane,
    stop: async () => {
      await plane.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
