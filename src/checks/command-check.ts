// Command checks: `/bin/sh -c command` in its own process group, told where the canary is by
// GANTRY_TARGET_URL; ok on exit 0. On timeout or cancellation the whole group gets SIGTERM, then
// SIGKILL after a grace period, so nothing the command started outlives the check.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatElapsed } from '../analysis/format.ts';
import { hasLiveGroupMembers } from '../runtime/local/proc-stat.ts';
import { OutputTail } from './output-tail.ts';
import type { RunCheckOptions } from './run-check.ts';

export const DEFAULT_KILL_GRACE_MS = 5000;
const TAIL_LINES = 5;
const MAX_COMMAND_CHARS = 80;
/** How long to wait for pipes to close, or a killed group to vanish (a daemon may have left it). */
const CLOSE_WAIT_MS = 2000;
const GROUP_POLL_MS = 50;

// Only these of the server's own variables reach a check, so none of its secrets do.
const INHERITED = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR'] as const;

interface Outcome {
  ok: boolean;
  message: string;
  durationMs: number;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

type StopReason = 'timeout' | 'cancelled';

export async function runCommandCheck(
  command: string,
  timeoutMs: number,
  targetUrl: string,
  opts: RunCheckOptions,
): Promise<Outcome> {
  const start = performance.now();
  const shown = quoteCommand(command);
  const done = (ok: boolean, message: string): Outcome => ({ ok, message, durationMs: elapsed(start) });
  if (opts.signal?.aborted) return done(false, `${shown} was cancelled before it started`);
  const cwd = opts.cwd ?? process.cwd();
  if (!(await isDirectory(cwd)))
    return done(false, `cannot run ${shown}: working directory ${cwd} does not exist`);

  const run = startCommand(command, cwd, buildCheckEnv(opts.env ?? {}, targetUrl));
  const guard = guardGroup(run.pid, timeoutMs, opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS, opts.signal);
  const exit = await run.exited;
  const stopped = await guard.finish();
  await within(run.closed, CLOSE_WAIT_MS);
  run.release();

  const output = run.tail.lines();
  const withOutput = (head: string) =>
    output.length > 0 ? `${head}; last output:\n${output.join('\n')}` : head;
  const took = formatElapsed(elapsed(start));
  if (exit.error) return done(false, `cannot run ${shown}: ${exit.error.message}`);
  if (stopped === 'timeout') {
    return done(false, withOutput(`${shown} timed out after ${formatElapsed(timeoutMs)} and was stopped`));
  }
  if (stopped === 'cancelled') return done(false, withOutput(`${shown} was cancelled after ${took}`));
  if (exit.code === 0) return done(true, `${shown} exited with code 0 after ${took}`);
  const how = exit.code !== null ? `exited with code ${exit.code}` : `was killed by ${exit.signal}`;
  return done(false, withOutput(`${shown} ${how} after ${took}`));
}

/** The check's environment: a minimal inherited set, the given variables, then the target. */
export function buildCheckEnv(
  env: Record<string, string>,
  targetUrl: string,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = parent[name];
    if (value !== undefined) out[name] = value;
  }
  Object.assign(out, env);
  out.GANTRY_TARGET_URL = targetUrl;
  return out;
}

function startCommand(command: string, cwd: string, env: Record<string, string>) {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = new OutputTail(TAIL_LINES);
  child.stdout.on('data', (chunk: Buffer) => tail.push('stdout', chunk));
  child.stderr.on('data', (chunk: Buffer) => tail.push('stderr', chunk));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  const release = () => {
    child.stdout.destroy();
    child.stderr.destroy();
  };
  return { pid: child.pid, tail, closed, exited, release };
}

/**
 * Stops the process group on timeout or abort (SIGTERM, SIGKILL after the grace). `finish`, called
 * once the shell has exited, ends whatever it left running in the background the same way.
 */
function guardGroup(pid: number | undefined, timeoutMs: number, graceMs: number, signal?: AbortSignal) {
  let stopped: StopReason | undefined;
  let stoppedAt = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (reason: StopReason) => {
    if (stopped) return;
    stopped = reason;
    stoppedAt = Date.now();
    signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  };
  const timer = setTimeout(() => stop('timeout'), timeoutMs);
  const onAbort = () => stop('cancelled');
  signal?.addEventListener('abort', onAbort, { once: true });
  const finish = async (): Promise<StopReason | undefined> => {
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

async function isDirectory(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info?.isDirectory() ?? false;
}

function quoteCommand(command: string): string {
  const short = command.length > MAX_COMMAND_CHARS ? `${command.slice(0, MAX_COMMAND_CHARS - 1)}…` : command;
  return `\`${short}\``;
}

function elapsed(start: number): number {
  return Math.round(performance.now() - start);
}
