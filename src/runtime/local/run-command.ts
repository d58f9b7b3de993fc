// A one-off command (a check, a synthetic): `/bin/sh -c command` in its own process group. On
// timeout or cancellation the whole group gets SIGTERM, then SIGKILL after a grace period, and once
// the shell has exited whatever it left in the background is ended the same way, so nothing the
// command started outlives it.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasLiveGroupMembers } from './proc-stat.ts';

/** How long to wait for pipes to close, or a killed group to vanish (a daemon may have left it). */
const CLOSE_WAIT_MS = 2000;
const GROUP_POLL_MS = 50;

export interface CommandRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all. */
  error?: Error;
  /** Why the command was stopped before it ended by itself, if it was. */
  stopped?: 'timeout' | 'cancelled';
}

export interface RunCommandOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Grace between SIGTERM and SIGKILL when the command is stopped. */
  killGraceMs: number;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

export async function runCommand(opts: RunCommandOptions): Promise<CommandRun> {
  const child = spawn('/bin/sh', ['-c', opts.command], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => opts.onOutput?.('stdout', chunk));
  child.stderr.on('data', (chunk: Buffer) => opts.onOutput?.('stderr', chunk));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<CommandRun>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  const guard = guardGroup(child.pid, opts.timeoutMs, opts.killGraceMs, opts.signal);
  const exit = await exited;
  const stopped = await guard.finish();
  await within(closed, CLOSE_WAIT_MS);
  child.stdout.destroy();
  child.stderr.destroy();
  return stopped ? { ...exit, stopped } : exit;
}

/**
 * Stops the process group on timeout or abort (SIGTERM, SIGKILL after the grace). `finish`, called
 * once the shell has exited, ends whatever it left running in the background the same way.
 */
function guardGroup(pid: number | undefined, timeoutMs: number, graceMs: number, signal?: AbortSignal) {
  let stopped: CommandRun['stopped'];
  let stoppedAt = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (reason: NonNullable<CommandRun['stopped']>) => {
    if (stopped) return;
    stopped = reason;
    stoppedAt = Date.now();
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  };
  const timer = setTimeout(() => stop('timeout'), timeoutMs);
  const onAbort = () => stop('cancelled');
  signal?.addEventListener('abort', onAbort, { once: true });
  const finish = async (): Promise<CommandRun['stopped']> => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (!stopped) signalGroup(pid, 'SIGTERM');
    await reapGroup(pid, (stopped ? stoppedAt : Date.now()) + graceMs);
    clearTimeout(killTimer);
    return stopped;
  };
  return { finish };
}

/** Waits for the group to empty until `deadline`, then kills what is left; bounded either way. */
async function reapGroup(pid: number | undefined, deadline: number): Promise<void> {
  if (pid === undefined) return;
  if (await waitGroupGone(pid, deadline)) return;
  signalGroup(pid, 'SIGKILL');
  await waitGroupGone(pid, Date.now() + CLOSE_WAIT_MS);
}

async function waitGroupGone(pgid: number, deadline: number): Promise<boolean> {
  for (;;) {
    if (!(await hasLiveGroupMembers(pgid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(GROUP_POLL_MS);
  }
}

/** Signals the process group led by pid; false when it is gone. */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
