// One OS process of an instance, spawned by us or adopted from a previous server, and the signals
// that end it. Signals go to the process group, so whatever the shell started goes down with it.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceExit } from '../driver.ts';
import { hasLiveGroupMembers, isSameLiveProcess, readProcStat, readStartTime } from './proc-stat.ts';

export const ADOPTED_POLL_MS = 300;
/** How long to wait for a process to vanish after SIGKILL before giving up on it. */
const KILL_WAIT_MS = 10_000;
const GROUP_POLL_MS = 50;

export interface RunningProcess {
  readonly pid: number;
  readonly pidStartTime: string | null;
  /** True when pid leads its own process group (always for spawned ones), so -pid reaches its children. */
  readonly groupLeader: boolean;
  /** Resolves once the process has exited; never rejects. */
  readonly exited: Promise<InstanceExit>;
  /** Stops watching without touching the process, which keeps running (server shutdown). */
  detach(): void;
}

export interface SpawnOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  stdoutPath: string;
  stderrPath: string;
}

/**
 * Debian's /bin/sh (dash) stays as the parent of a `-c` command instead of replacing itself, so
 * the recorded pid and exit would be the shell's. For a simple command (no operators, no leading
 * assignment) `exec` makes the service itself the process we watch; anything else runs as given.
 */
export function execIfSimple(command: string): string {
  const cmd = command.trim();
  const simple = /^[A-Za-z0-9_./-][^;&|()<>`\n]*$/.test(cmd) && !/^[^\s]*=/.test(cmd);
  return simple ? `exec ${cmd}` : command;
}

/** Runs `/bin/sh -c command` in its own process group, its output appended to the two files. */
export async function spawnProcess(opts: SpawnOptions): Promise<RunningProcess> {
  const dir = await stat(opts.cwd).catch(() => undefined);
  if (!dir?.isDirectory()) {
    throw new Error(
      `working directory ${opts.cwd} does not exist; check that the version's artifact is unpacked`,
    );
  }
  // The child gets its own O_APPEND descriptors: its output outlives us and needs no reader.
  const out = openSync(opts.stdoutPath, 'a', 0o600);
  const err = openSync(opts.stderrPath, 'a', 0o600);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn('/bin/sh', ['-c', execIfSimple(opts.command)], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', out, err],
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  // Read now, synchronously: the event loop cannot reap the child before this line.
  const pidStartTime = child.pid ? readStartTime(child.pid) : null;
  const exited = new Promise<InstanceExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  child.on('error', () => {});
  const pid = child.pid as number;
  return { pid, pidStartTime, groupLeader: true, exited, detach: () => child.unref() };
}

/** Watches a process that is not our child (adopted) by polling /proc, as no exit event can reach us. */
export function watchProcess(pid: number, pidStartTime: string, pollMs = ADOPTED_POLL_MS): RunningProcess {
  const groupLeader = readProcStat(pid)?.pgrp === pid;
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<InstanceExit>((resolve) => {
    const check = () => {
      if (isSameLiveProcess(pid, pidStartTime)) return;
      clearInterval(timer);
      // Not our child: its exit status went to its parent, so code and signal are unknown.
      resolve({ code: null, signal: null, at: Date.now() });
    };
    timer = setInterval(check, pollMs);
    timer.unref();
  });
  return { pid, pidStartTime, groupLeader, exited, detach: () => clearInterval(timer) };
}

/** Sends a signal to the process group (or the process alone when it leads none); false if gone. */
export function signalProcess(
  proc: Pick<RunningProcess, 'pid' | 'groupLeader'>,
  signal: NodeJS.Signals,
): boolean {
  try {
    process.kill(proc.groupLeader ? -proc.pid : proc.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the group, SIGKILL after graceMs; resolves with the exit once the process and the rest of
 * its group are gone (members that outlive the leader share its grace period).
 */
export async function terminateProcess(proc: RunningProcess, graceMs: number): Promise<InstanceExit> {
  const deadline = Date.now() + graceMs;
  signalProcess(proc, 'SIGTERM');
  let exit = await within(proc.exited, graceMs);
  const groupGone = !proc.groupLeader || (await waitGroupGone(proc.pid, deadline));
  if (exit && groupGone) return exit;
  signalProcess(proc, 'SIGKILL');
  exit ??= (await within(proc.exited, KILL_WAIT_MS)) ?? { code: null, signal: 'SIGKILL', at: Date.now() };
  if (proc.groupLeader) await waitGroupGone(proc.pid, Date.now() + KILL_WAIT_MS);
  return exit;
}

/** Kills a leftover process if (and only if) the pid still belongs to the process that started then. */
export async function reapProcess(pid: number, pidStartTime: string, graceMs: number): Promise<boolean> {
  if (!isSameLiveProcess(pid, pidStartTime)) return false;
  const proc = watchProcess(pid, pidStartTime, GROUP_POLL_MS);
  try {
    await terminateProcess(proc, graceMs);
  } finally {
    proc.detach();
  }
  return true;
}

/** Waits until no live process is left in the group; false if some still are at the deadline. */
async function waitGroupGone(pgid: number, deadline: number): Promise<boolean> {
  for (;;) {
    if (!(await hasLiveGroupMembers(pgid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(GROUP_POLL_MS);
  }
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  const ac = new AbortController();
  const timeout = sleep(ms, undefined, { signal: ac.signal }).then(
    () => undefined,
    () => undefined,
  );
  try {
    return await Promise.race([p, timeout]);
  } finally {
    ac.abort();
  }
}
