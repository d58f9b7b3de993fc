// CPU and memory of a container from the engine's stats (one sample per call). CPU is the share of
// one core between two of our own readings (100 = one full core, as for processes), so it does not
// depend on the engine's precpu fields, which Podman leaves empty in a one-shot sample.

/** The fields of a `GET /containers/{id}/stats?stream=false` answer this module reads. */
export interface EngineStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number | undefined> };
}

/** One reading: CPU time used so far (ns) at a monotonic instant (ns). */
export interface CpuReading {
  cpuNs: number;
  atNs: number;
}

export function cpuReading(s: EngineStats, atNs: number): CpuReading | undefined {
  const cpuNs = s.cpu_stats?.cpu_usage?.total_usage;
  return typeof cpuNs === 'number' && Number.isFinite(cpuNs) ? { cpuNs, atNs } : undefined;
}

/** Share of one core between two readings; null without a previous one (or a counter reset). */
export function cpuPercentBetween(prev: CpuReading | undefined, cur: CpuReading | undefined): number | null {
  if (!prev || !cur) return null;
  const wall = cur.atNs - prev.atNs;
  const used = cur.cpuNs - prev.cpuNs;
  if (wall <= 0 || used < 0) return null;
  return (used / wall) * 100;
}

/**
 * Memory in use as `docker stats` shows it: usage less the page cache the kernel can drop
 * (`inactive_file` on cgroup v2, `total_inactive_file` on v1); null when the engine gives none.
 */
export function memoryInUse(s: EngineStats): number | null {
  const usage = s.memory_stats?.usage;
  if (typeof usage !== 'number' || !Number.isFinite(usage)) return null;
  const st = s.memory_stats?.stats ?? {};
  const cache = st.inactive_file ?? st.total_inactive_file ?? 0;
  return cache > 0 && cache < usage ? usage - cache : usage;
}
