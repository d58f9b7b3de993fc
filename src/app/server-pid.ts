// The running server's pid in its data dir, so that `gantry server --upgrade` can find the server
// it takes over from: it asks that one (SIGUSR2) to exit while leaving its data plane and instances
// running, waits for it to go, and then starts in its place.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PID_FILE = 'server.pid';
const HANDOVER_TIMEOUT_MS = 60_000;

export async function writeServerPid(dataDir: string): Promise<void> {
  await writeFile(path.join(dataDir, PID_FILE), `${process.pid}\n`, { mode: 0o600 });
}

/** Removes the pid file if it still names this process (a successor may have written its own). */
export async function removeServerPid(dataDir: string): Promise<void> {
  const file = path.join(dataDir, PID_FILE);
  const pid = await readFile(file, 'utf8').catch(() => '');
  if (Number(pid) === process.pid) await rm(file, { force: true });
}

/** The pid of another server running on this data dir, if one is. */
export async function runningServer(dataDir: string): Promise<number | undefined> {
  const pid = Number(await readFile(path.join(dataDir, PID_FILE), 'utf8').catch(() => ''));
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

/** Asks the server running on this data dir to step aside; resolves once it has exited (or none ran). */
export async function takeOverFrom(dataDir: string): Promise<number | undefined> {
  const pid = await runningServer(dataDir);
  if (pid === undefined) return undefined;
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + HANDOVER_TIMEOUT_MS;
  while (alive(pid)) {
    if (Date.now() > deadline)
      throw new Error(
        `the running server (pid ${pid}) did not step aside within ${HANDOVER_TIMEOUT_MS / 1000} s`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
