// Starting data plane processes and finding those already running. Each process is detached (its
// own process group: a signal or crash of the server does not reach it), writes its log to
// `dataplane.log` and listens on `<pid>.sock` in the data dir's `dataplane/` directory.
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerConnection, type WorkerEvents } from './worker-connection.ts';

export const SOCKET_DIR = 'dataplane';
export const LOG_FILE = 'dataplane.log';
const START_TIMEOUT_MS = 15_000;

/**
 * V8 settings of a data plane process, chosen for its idle footprint (npm run bench:memory): no
 * Maglev tier (hot code still reaches TurboFan; Maglev's code and compile buffers stay resident
 * for ~15 MB after a burst of traffic, at no throughput cost in bench:proxy). A smaller young
 * generation saved nothing more once the process compacts when quiet (src/lib/idle-compaction.ts).
 * `GANTRY_DATA_PLANE_NODE_FLAGS` replaces them (space-separated; empty for V8's defaults).
 */
export const DATA_PLANE_NODE_FLAGS = ['--no-maglev'];

/**
 * glibc's malloc raises its trim threshold each time a large block is freed (V8's compilers free
 * many), and then keeps what it frees; a fixed threshold of 1 MB hands it back to the system
 * (npm run bench:memory). One arena (`glibc.malloc.arena_max=1`) would save more but cost 40 % of
 * the proxy's throughput. Other C libraries ignore the variable; a value already set wins.
 */
const MALLOC_TUNABLES = 'glibc.malloc.trim_threshold=1048576';

function nodeFlags(env: NodeJS.ProcessEnv): string[] {
  const custom = env.GANTRY_DATA_PLANE_NODE_FLAGS;
  return custom === undefined ? DATA_PLANE_NODE_FLAGS : custom.split(/\s+/).filter(Boolean);
}

// The entry sits beside this module: process-main.ts in a checkout, process-main.js once built.
const ENTRY = fileURLToPath(
  new URL(`./process-main${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export async function socketDirOf(dataDir: string): Promise<string> {
  const dir = path.join(dataDir, SOCKET_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Starts one data plane process and connects to it. */
export async function spawnWorker(
  dir: string,
  build: string,
  events: WorkerEvents,
): Promise<WorkerConnection> {
  const log = openSync(path.join(dir, LOG_FILE), 'a', 0o600);
  const env = { GLIBC_TUNABLES: MALLOC_TUNABLES, ...process.env };
  const args = [...nodeFlags(env), ENTRY, '--socket-dir', dir, '--build', build];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the data plane process');
  const socketPath = path.join(dir, `${pid}.sock`);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = code != null ? `code ${code}` : `signal ${signal}`;
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && exited === undefined) {
    if (existsSync(socketPath)) {
      const conn = await WorkerConnection.connect(socketPath, events).catch(() => undefined);
      if (conn) return conn;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (exited === undefined) child.kill('SIGKILL');
  const tail = (await readFile(path.join(dir, LOG_FILE), 'utf8').catch(() => '')).split('\n').slice(-6);
  throw new Error(
    `the data plane process did not start (${exited ? `exited with ${exited}` : `no socket after ${START_TIMEOUT_MS / 1000} s`}); last lines of ${path.join(dir, LOG_FILE)}:\n${tail.join('\n')}`,
  );
}

/** Connects to every data plane process still running; removes the sockets of dead ones. */
export async function connectRunning(dir: string, events: WorkerEvents): Promise<WorkerConnection[]> {
  const sockets = (await readdir(dir)).filter((f) => f.endsWith('.sock')).sort();
  const found: WorkerConnection[] = [];
  for (const f of sockets) {
    const file = path.join(dir, f);
    const conn = await WorkerConnection.connect(file, events).catch(() => undefined);
    if (conn) found.push(conn);
    else await rm(file, { force: true });
  }
  return found;
}
