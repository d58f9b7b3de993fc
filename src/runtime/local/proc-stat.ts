// Reads /proc/<pid>/stat so a pid is only ever trusted together with its start time: pids are reused.
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  comm: string;
  /** One letter: R running, S sleeping, Z zombie, … */
  state: string;
  pgrp: number;
  /** Field 22: start time in clock ticks since boot, kept as a string (it can exceed 2^53 in theory). */
  startTime: string;
}

/**
 * Parses the text of /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself
 * contain spaces and parentheses, so the fields after it are found from the *last* ')'.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Field 3 (state) is the first after the name, so field N sits at index N - 3.
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = rest[0];
  const pgrp = Number(rest[2]);
  const startTime = rest[19];
  if (!Number.isInteger(pid) || !state || !Number.isInteger(pgrp) || !startTime || !/^\d+$/.test(startTime)) {
    return undefined;
  }
  return { pid, comm: text.slice(open + 1, close), state, pgrp, startTime };
}

/** The stat of a live process, or undefined when there is none with this pid. */
export function readProcStat(pid: number): ProcStat | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The start time of a process, or null when it is gone. */
export function readStartTime(pid: number): string | null {
  return readProcStat(pid)?.startTime ?? null;
}

/**
 * True when `pid` still is the process that started at `startTime` and has not exited. A zombie counts
 * as gone: it has exited, and its parent (possibly an init that never reaps) only holds its status.
 */
export function isSameLiveProcess(pid: number, startTime: string): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && stat.startTime === startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * True while any process of group `pgid` is alive. Zombies do not count: when the shell of an instance
 * dies first, its children are re-parented to init, and an init that never reaps (common in
 * containers) would otherwise keep the group "alive" for ever. Reads are async so that a stop does
 * not block the event loop (and the proxy on it) while /proc is scanned.
 */
export async function hasLiveGroupMembers(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const stats = await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map((name) =>
        readFile(`/proc/${name}/stat`, 'utf8').then(
          (text) => parseProcStat(text),
          () => undefined,
        ),
      ),
  );
  return stats.some((s) => s !== undefined && s.pgrp === pgid && s.state !== 'Z' && s.state !== 'X');
}
