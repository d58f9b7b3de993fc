// A real PostgreSQL for tests: a throw-away cluster made with Debian's initdb in a temporary
// directory (as the `postgres` user when the tests run as root, since initdb refuses root), started
// with pg_ctl on a free loopback port and a private socket directory, and stopped by its PID.
//
// One cluster serves a whole vitest run: the global setup (postgres-global.ts) only names a
// directory; the first test file that asks for PostgreSQL starts the cluster there, under a lock,
// and the others find it. A run that never asks starts nothing. Each caller then gets its own fresh
// database (CREATE DATABASE … TEMPLATE template0). Outside vitest (benchmarks) a process starts its
// own cluster. Locally a missing PostgreSQL skips; under CI=true it fails (see peers.ts).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './gantry.ts';
import { hasExecutable, requirePeer } from './peers.ts';

const run = promisify(execFile);

export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
/** The superuser initdb creates; with --auth=trust on loopback it needs no password. */
const SUPERUSER = 'postgres';

export interface PostgresCluster {
  dir: string;
  port: number;
  pid: number;
}

/** 'run' when PostgreSQL 15's server binaries are installed; else 'skip' (or throws under CI=true). */
export function requirePostgres(): 'run' | 'skip' {
  return requirePeer(
    'postgresql',
    hasExecutable(path.join(POSTGRES_BIN, 'initdb')) && hasExecutable(path.join(POSTGRES_BIN, 'pg_ctl')),
    `${POSTGRES_BIN}/initdb not installed (apt-get install postgresql)`,
  );
}

/** The connection URL of a database of the cluster (over TCP on loopback). */
export function databaseUrl(cluster: PostgresCluster, database: string): string {
  return `postgresql://${SUPERUSER}@127.0.0.1:${cluster.port}/${database}`;
}

/**
 * Makes a cluster in `dir` (created if missing) and starts it. Fast and unsafe settings (no fsync):
 * the cluster lives only as long as the tests.
 */
export async function startPostgresCluster(dir: string): Promise<PostgresCluster> {
  const data = path.join(dir, 'data');
  const sockets = path.join(dir, 'sockets');
  await mkdir(sockets, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
    await chown(sockets, uid, gid);
  }
  const port = await freePort();
  await runAsOwner(asRoot, 'initdb', [
    '-D',
    data,
    '-U',
    SUPERUSER,
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const serverOptions = [
    `-p ${port}`,
    `-k ${sockets}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ');
  await runAsOwner(asRoot, 'pg_ctl', [
    '-D',
    data,
    '-l',
    path.join(dir, 'server.log'),
    '-o',
    serverOptions,
    '-w',
    '-t',
    String(START_TIMEOUT_MS / 1000),
    'start',
  ]);
  const pid = Number((await readFile(path.join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  return { dir, port, pid };
}

/** Stops the cluster by its PID (fast shutdown) and waits until the server has gone. */
export async function stopPostgresCluster(cluster: PostgresCluster): Promise<void> {
  try {
    process.kill(cluster.pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(cluster.pid)) {
    if (Date.now() > deadline) {
      process.kill(cluster.pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Creates an empty database in the cluster and returns its URL. */
export async function createDatabase(cluster: PostgresCluster, prefix = 'gantry'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: databaseUrl(cluster, 'postgres') });
  await client.connect();
  try {
    await client.query(`create database ${name} template template0`);
  } finally {
    await client.end();
  }
  return databaseUrl(cluster, name);
}

/** A fresh, empty database of the run's shared cluster (see sharedPostgresCluster): its URL. */
export async function freshPostgresDatabase(prefix?: string): Promise<string> {
  return createDatabase(await sharedPostgresCluster(), prefix);
}

/** Where the run's shared cluster lives; set by the global setup through the environment. */
export const SHARED_CLUSTER_ENV = 'GANTRY_TEST_POSTGRES_DIR';

const CLUSTER_FILE = 'cluster.json';
const FAILURE_FILE = 'cluster-failed.txt';
let ownCluster: Promise<PostgresCluster> | undefined;

/**
 * The cluster of this test run: started by the first caller of the run (under a lock in the shared
 * directory), found by the others. Without a shared directory (outside vitest) the process starts its
 * own, stopped when the process exits.
 */
export function sharedPostgresCluster(env: NodeJS.ProcessEnv = process.env): Promise<PostgresCluster> {
  const shared = env[SHARED_CLUSTER_ENV];
  if (shared) return joinSharedCluster(shared);
  ownCluster ??= startOwnCluster();
  return ownCluster;
}

/** Stops the shared cluster in `dir` when one was started there, and removes the directory. */
export async function stopSharedCluster(dir: string): Promise<void> {
  const file = path.join(dir, CLUSTER_FILE);
  if (existsSync(file)) await stopPostgresCluster(JSON.parse(await readFile(file, 'utf8')));
  await rm(dir, { recursive: true, force: true });
}

async function joinSharedCluster(dir: string): Promise<PostgresCluster> {
  let starter = false;
  try {
    await mkdir(path.join(dir, 'lock'));
    starter = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if (starter) {
    try {
      const cluster = await startPostgresCluster(path.join(dir, 'cluster'));
      await writeFile(path.join(dir, `${CLUSTER_FILE}.tmp`), JSON.stringify(cluster));
      await rename(path.join(dir, `${CLUSTER_FILE}.tmp`), path.join(dir, CLUSTER_FILE));
      return cluster;
    } catch (err) {
      await writeFile(path.join(dir, FAILURE_FILE), err instanceof Error ? err.message : String(err));
      throw err;
    }
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (existsSync(path.join(dir, FAILURE_FILE))) {
      throw new Error(
        `the shared PostgreSQL cluster failed to start: ${await readFile(path.join(dir, FAILURE_FILE), 'utf8')}`,
      );
    }
    if (existsSync(path.join(dir, CLUSTER_FILE))) {
      return JSON.parse(await readFile(path.join(dir, CLUSTER_FILE), 'utf8')) as PostgresCluster;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for the shared PostgreSQL cluster in ${dir}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startOwnCluster(): Promise<PostgresCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-pg-'));
  const cluster = await startPostgresCluster(dir);
  process.once('exit', () => {
    try {
      process.kill(cluster.pid, 'SIGQUIT');
    } catch {
      // Already gone.
    }
  });
  return cluster;
}

async function runAsOwner(asRoot: boolean, tool: string, args: string[]): Promise<void> {
  const file = path.join(POSTGRES_BIN, tool);
  const [command, argv] = asRoot ? ['runuser', ['-u', SUPERUSER, '--', file, ...args]] : [file, args];
  try {
    await run(command, argv, { timeout: START_TIMEOUT_MS });
  } catch (err) {
    const { stderr = '', stdout = '' } = err as { stderr?: string; stdout?: string };
    throw new Error(`${tool} failed: ${(err as Error).message}\n${stdout}${stderr}`);
  }
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', [SUPERUSER]);
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (uid === undefined || gid === undefined)
    throw new Error(`cannot read the ids of user ${SUPERUSER}: ${stdout}`);
  return { uid: Number(uid), gid: Number(gid) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
