// vitest global setup: names the directory where the run's shared PostgreSQL cluster will live (the
// first test file that needs PostgreSQL starts it there, see postgres.ts) and, after the run, stops
// the cluster if one was started and removes the directory.
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SHARED_CLUSTER_ENV, stopSharedCluster } from './postgres.ts';

export async function setup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-pg-run-'));
  // The cluster's files belong to the postgres user, who must be able to reach them.
  await chmod(dir, 0o711);
  process.env[SHARED_CLUSTER_ENV] = dir;
  return () => stopSharedCluster(dir);
}
