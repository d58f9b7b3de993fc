// CPU and memory of local instances, read from /proc. An instance runs in its own process group
// (its pid is the group's leader), so the figures are sums over the group: a shell running the
// service, the service and whatever workers it forks.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InstanceStats } from '../driver.ts';

/** USER_HZ: /proc reports CPU time in these ticks, fixed at 100 per second by the Linux ABI. */
const CLOCK_TICKS_PER_SECOND = 100;
/**
 * Readings of several instances within this window share one scan of /proc: a sampler asks for
 * every instance in turn, and one scan costs as much as the whole machine has processes.
 */
const SCAN_REUSE_MS = 250;

interface MemberStat {
  pid: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Start time after boot, in clock ticks: tells a reused pid apart. */
  startTime: string;
}

interface Previous {
  /** performance.now() of the previous reading. */
  at: number;
  /** CPU ticks by "pid:startTime" of the group's members then. */
  ticks: Map<string, number>;
}

export interface GroupUsageMeter {
  /** Usage of the group led by `pid`, CPU since the previous reading under `key`; undefined when gone. */
  read(key: string, pid: number): Promise<InstanceStats | undefined>;
  forget(key: string): void;
}

/** `procDir` is the root of the proc filesystem (tests may point elsewhere). */
export function createGroupUsageMeter(procDir = '/proc'): GroupUsageMeter {
  const previous = new Map<string, Previous>();
  let scan: { at: number; stats: Promise<MemberStat[]> } | undefined;
  /** The latest scan of /proc and when it was taken (performance.now()). */
  const scanProc = async (): Promise<{ at: number; stats: MemberStat[] }> => {
    const now = performance.now();
    if (!scan || now - scan.at > SCAN_REUSE_MS) scan = { at: now, stats: readAll(procDir) };
    return { at: scan.at, stats: await scan.stats };
  };
  return {
    async read(key, pid) {
      const { at: monotonic, stats } = await scanProc();
      const members = stats.filter((s) => s.pgrp === pid);
      if (members.length === 0) {
        previous.delete(key);
        return undefined;
      }
      const ticks = new Map(members.map((m) => [`${m.pid}:${m.startTime}`, m.ticks]));
      const prev = previous.get(key);
      previous.set(key, { at: monotonic, ticks });
      let cpuPercent: number | null = null;
      if (prev && monotonic > prev.at) {
        let used = 0;
        // A member born since the previous reading spent all its ticks within the interval.
        for (const [k, n] of ticks) used += Math.max(0, n - (prev.ticks.get(k) ?? 0));
        cpuPercent = (100 * used) / CLOCK_TICKS_PER_SECOND / ((monotonic - prev.at) / 1000);
      }
      return { cpuPercent, memoryBytes: await sumRss(procDir, members) };
    },
    forget(key) {
      previous.delete(key);
    },
  };
}

/** Every live process. */
async function readAll(procDir: string): Promise<MemberStat[]> {
  const entries = await readdir(procDir).catch(() => [] as string[]);
  const stats = await Promise.all(
    entries.filter((e) => /^\d+$/.test(e)).map((e) => readStat(path.join(procDir, e, 'stat'))),
  );
  return stats.filter((s): s is MemberStat => s !== undefined);
}

/** Fields of /proc/<pid>/stat; the command name in parentheses may hold spaces and parentheses. */
async function readStat(file: string): Promise<MemberStat | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const close = text.lastIndexOf(')');
  // After ") ": state(3) ppid(4) pgrp(5) … utime(14) stime(15) … starttime(22).
  const f = text.slice(close + 2).split(' ');
  const field = (n: number) => f[n - 3] ?? '';
  if (field(3) === 'Z' || field(3) === 'X') return undefined;
  return {
    pid: Number.parseInt(text, 10),
    pgrp: Number(field(5)),
    ticks: Number(field(14)) + Number(field(15)),
    startTime: field(22),
  };
}

async function sumRss(procDir: string, members: MemberStat[]): Promise<number | null> {
  let total: number | null = null;
  for (const m of members) {
    const status = await readFile(path.join(procDir, String(m.pid), 'status'), 'utf8').catch(() => '');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (kb !== undefined) total = (total ?? 0) + Number(kb) * 1024;
  }
  return total;
}
