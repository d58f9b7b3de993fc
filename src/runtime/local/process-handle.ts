// The process driver's handle: a pid is only ever trusted together with its start time (pids are
// reused), so the two travel together, and a handle of another driver is never read as ours.
import type { InstanceHandle } from '../driver.ts';

export interface ProcessHandle extends InstanceHandle {
  readonly driver: 'process';
  readonly pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks since boot); null when it could not be read. */
  readonly startTime: string | null;
}

export function processHandle(pid: number, startTime: string | null): ProcessHandle {
  return { driver: 'process', pid, startTime };
}

/** The pid and start time of a stored handle, or undefined when it is not an adoptable process handle. */
export function readProcessHandle(handle: InstanceHandle): { pid: number; startTime: string } | undefined {
  if (handle.driver !== 'process') return undefined;
  const { pid, startTime } = handle;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (typeof startTime !== 'string' || !/^\d+$/.test(startTime)) return undefined;
  return { pid, startTime };
}
