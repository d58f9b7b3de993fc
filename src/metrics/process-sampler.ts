// CPU and memory of local instances, read from /proc every few seconds. An instance runs in its own
// process group (its pid is the group's leader), so the figures are sums over the group: a shell
// running the service, the service and whatever workers it forks.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Clock, systemClock } from '../lib/clock.ts';
import { type Logger, silentLogger } from '../lib/log.ts';
import type { InstanceSample } from './instance-samples.ts';

export const DEFAULT_SAMPLE_INTERVAL_MS = 5000;
/** USER_HZ: /proc reports CPU time in these ticks, fixed at 100 per second by the Linux ABI. */
const CLOCK_TICKS_PER_SECOND = 100;

export interface TrackedProcess {
  instanceId: string;
  environment: string;
  version: string;
  /** Leader of the instance's process group. */
  pid: number;
  /** Restarts so far, passed on to instance_restarts. */
  restarts?: number;
}

export interface ProcessSampler {
  /** Replaces the list of instances to sample. */
  track(list: TrackedProcess[]): void;
  /** Samples every tracked instance now. */
  sample(): Promise<void>;
  start(): void;
  stop(): void;
}

interface ProcStat {
  pid: number;
  pgrp: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** Start time after boot, in clock ticks: tells a reused pid apart. */
  startTime: string;
}

interface Previous {
  /** performance.now() of the previous sample. */
  at: number;
  /** CPU ticks by "pid:startTime" of the group's members then. */
  ticks: Map<string, number>;
}

export function createProcessSampler(opts: {
  onSample: (s: InstanceSample) => void;
  /** When given, the instances to sample are read from here at every sample (track() not needed). */
  list?: () => TrackedProcess[];
  intervalMs?: number;
  clock?: Clock;
  /** Root of the proc filesystem (tests may point elsewhere). */
  procDir?: string;
  logger?: Logger;
}): ProcessSampler {
  const procDir = opts.procDir ?? '/proc';
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  let tracked: TrackedProcess[] = [];
  const previous = new Map<string, Previous>();
  let timer: NodeJS.Timeout | undefined;
  let busy = false;

  const track = (list: TrackedProcess[]): void => {
    tracked = [...list];
    const ids = new Set(list.map((t) => t.instanceId));
    for (const id of previous.keys()) if (!ids.has(id)) previous.delete(id);
  };

  const sample = async (): Promise<void> => {
    if (opts.list) track(opts.list());
    if (tracked.length === 0) return;
    const groups = await readGroups(procDir, new Set(tracked.map((t) => t.pid)));
    const monotonic = performance.now();
    const at = clock.now();
    for (const t of tracked) {
      const members = groups.get(t.pid) ?? [];
      if (members.length === 0) {
        previous.delete(t.instanceId);
        continue;
      }
      const ticks = new Map(members.map((m) => [`${m.pid}:${m.startTime}`, m.ticks]));
      const prev = previous.get(t.instanceId);
      previous.set(t.instanceId, { at: monotonic, ticks });
      let cpu: number | null = null;
      if (prev && monotonic > prev.at) {
        let used = 0;
        // A member born since the previous sample spent all its ticks within the interval.
        for (const [key, n] of ticks) used += Math.max(0, n - (prev.ticks.get(key) ?? 0));
        cpu = used / CLOCK_TICKS_PER_SECOND / ((monotonic - prev.at) / 1000);
      }
      const rss = await sumRss(procDir, members);
      opts.onSample({
        instanceId: t.instanceId,
        environment: t.environment,
        version: t.version,
        at,
        cpu,
        rssBytes: rss,
        ...(t.restarts !== undefined ? { restarts: t.restarts } : {}),
      });
    }
  };

  return {
    track,
    sample,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        sample()
          .catch((err: unknown) => logger.warn({ err }, 'could not sample instance processes'))
          .finally(() => {
            busy = false;
          });
      }, opts.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Processes of /proc grouped by process group, for the groups asked. */
async function readGroups(procDir: string, leaders: Set<number>): Promise<Map<number, ProcStat[]>> {
  const groups = new Map<number, ProcStat[]>();
  const entries = await readdir(procDir).catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const stat = await readStat(path.join(procDir, e, 'stat'));
        if (!stat || !leaders.has(stat.pgrp)) return;
        const members = groups.get(stat.pgrp) ?? [];
        members.push(stat);
        groups.set(stat.pgrp, members);
      }),
  );
  return groups;
}

/** Fields of /proc/<pid>/stat; the command name in parentheses may hold spaces and parentheses. */
async function readStat(file: string): Promise<ProcStat | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const close = text.lastIndexOf(')');
  // After ") ": state(3) ppid(4) pgrp(5) … utime(14) stime(15) … starttime(22).
  const f = text.slice(close + 2).split(' ');
  const field = (n: number) => f[n - 3] ?? '';
  return {
    pid: Number.parseInt(text, 10),
    pgrp: Number(field(5)),
    ticks: Number(field(14)) + Number(field(15)),
    startTime: field(22),
  };
}

async function sumRss(procDir: string, members: ProcStat[]): Promise<number | null> {
  let total: number | null = null;
  for (const m of members) {
    const status = await readFile(path.join(procDir, String(m.pid), 'status'), 'utf8').catch(() => '');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (kb !== undefined) total = (total ?? 0) + Number(kb) * 1024;
  }
  return total;
}
