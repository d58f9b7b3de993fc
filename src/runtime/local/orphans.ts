// Instances of this process driver that no record claims: processes left by a server that died
// between launching them and recording them, or whose record was dropped (version deleted,
// environment removed from gantry.yaml), and the instance directories left behind.
// Processes are recognised by two variables every instance gets: the driver's owner marker (a
// digest of its data directory, so another Gantry on the machine is never touched) and the
// instance id. Both are inherited by whatever the service forks.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { INSTANCE_ID_ENV, OWNER_ENV } from './instance-env.ts';
import { reapProcess } from './os-process.ts';
import { readProcStat } from './proc-stat.ts';

/** The owner marker of a driver whose files live under `dataDir`. */
export function ownerMarker(dataDir: string): string {
  return createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16);
}

export interface OrphanProcess {
  pid: number;
  startTime: string;
  pgrp: number;
  instanceId: string;
}

/** Live processes carrying `owner`'s marker, with the instance id they belong to. */
export async function findMarkedProcesses(owner: string, procDir = '/proc'): Promise<OrphanProcess[]> {
  const ownerEntry = `${OWNER_ENV}=${owner}`;
  const entries = await readdir(procDir).catch(() => [] as string[]);
  const found: OrphanProcess[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    // Another user's processes cannot be read (EACCES): they are not ours either.
    const environ = await readFile(join(procDir, name, 'environ'), 'latin1').catch(() => '');
    if (!environ) continue;
    const vars = environ.split('\0');
    if (!vars.includes(ownerEntry)) continue;
    const idEntry = vars.find((v) => v.startsWith(`${INSTANCE_ID_ENV}=`));
    const stat = readProcStat(Number(name));
    if (!idEntry || !stat || stat.state === 'Z' || stat.state === 'X') continue;
    found.push({
      pid: stat.pid,
      startTime: stat.startTime,
      pgrp: stat.pgrp,
      instanceId: idEntry.slice(INSTANCE_ID_ENV.length + 1),
    });
  }
  return found;
}

/**
 * Ends every marked process whose instance is not in `keep` (the group at once where it leads one,
 * SIGTERM then SIGKILL after graceMs) and removes the directories of such instances under
 * `instancesDir`. Returns the instance ids removed.
 */
export async function removeOrphanInstances(opts: {
  owner: string;
  instancesDir: string;
  keep: (instanceId: string) => boolean;
  graceMs: number;
}): Promise<string[]> {
  const orphans = (await findMarkedProcesses(opts.owner)).filter((p) => !opts.keep(p.instanceId));
  const pids = new Set(orphans.map((p) => p.pid));
  // A member of an orphan group goes down with its leader; only strays are signalled alone.
  const targets = orphans.filter((p) => p.pgrp === p.pid || !pids.has(p.pgrp));
  await Promise.all(targets.map((p) => reapProcess(p.pid, p.startTime, opts.graceMs)));
  const removed = new Set(orphans.map((p) => p.instanceId));
  const dirs = await readdir(opts.instancesDir).catch(() => [] as string[]);
  for (const id of dirs) {
    if (opts.keep(id)) continue;
    await rm(join(opts.instancesDir, id), { recursive: true, force: true });
    removed.add(id);
  }
  return [...removed].sort();
}
