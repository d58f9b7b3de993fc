// The standard process_* metrics, named as Prometheus' official client libraries name them
// (client_golang's process collector, prom-client's process metrics), so that dashboards and
// alerts written for any Prometheus-instrumented process work on Gantry. Linux reads /proc/self;
// elsewhere only what Node itself knows (CPU, resident memory, start time) is exposed.
import { readdirSync, readFileSync } from 'node:fs';
import type { Family } from './prometheus-format.ts';

/** Where the Linux figures come from; a test may point it elsewhere. */
export const PROC_SELF = '/proc/self';

export function processFamilies(proc = PROC_SELF): Family[] {
  const cpu = process.cpuUsage();
  const out: Family[] = [
    single('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter', [
      (cpu.user + cpu.system) / 1e6,
    ]),
    single('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge', [
      process.memoryUsage.rss(),
    ]),
    single('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge', [
      Math.round(performance.timeOrigin) / 1000,
    ]),
  ];
  const status = read(`${proc}/status`);
  const vmSize = status === undefined ? undefined : kibibytes(status, 'VmSize');
  const vmData = status === undefined ? undefined : kibibytes(status, 'VmData');
  if (vmSize !== undefined) {
    out.push(single('process_virtual_memory_bytes', 'Virtual memory size in bytes.', 'gauge', [vmSize]));
  }
  if (vmData !== undefined) {
    out.push(single('process_heap_bytes', 'Process heap size in bytes.', 'gauge', [vmData]));
  }
  const open = openFds(proc);
  if (open !== undefined) {
    out.push(single('process_open_fds', 'Number of open file descriptors.', 'gauge', [open]));
  }
  const limits = read(`${proc}/limits`);
  const max = limits === undefined ? undefined : maxOpenFiles(limits);
  if (max !== undefined) {
    out.push(single('process_max_fds', 'Maximum number of open file descriptors.', 'gauge', [max]));
  }
  return out;
}

function single(name: string, help: string, type: 'gauge' | 'counter', values: number[]): Family {
  return { name, help, type, samples: values.map((value) => ({ labels: {}, value })) };
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A `Key:   1234 kB` line of /proc/self/status, in bytes. */
export function kibibytes(status: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s*(\\d+)\\s*kB$`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The soft limit of `Max open files` in /proc/self/limits; undefined when unlimited or absent. */
export function maxOpenFiles(limits: string): number | undefined {
  const m = /^Max open files\s+(\d+)\s/m.exec(limits);
  return m ? Number(m[1]) : undefined;
}

function openFds(proc: string): number | undefined {
  try {
    // The listing holds the descriptor readdir opened for itself.
    return readdirSync(`${proc}/fd`).length - 1;
  } catch {
    return undefined;
  }
}
