// Events of an environment outside any release: crashes, restarts, readiness changes.

/** Something that happened in an environment outside a release (a crash, a restart, a probe). */
export interface EnvironmentEventRecord {
  id: string;
  service: string;
  environment: string;
  instance: string | null;
  version: string | null;
  type: string; // 'instance.exited' | 'instance.restarted' | 'instance.ready' | 'instance.unready' | …
  message: string;
  data: Record<string, unknown> | null;
  at: string;
}

export interface EnvironmentEventRepo {
  append(e: Omit<EnvironmentEventRecord, 'id' | 'at'>): Promise<EnvironmentEventRecord>;
  /** Newest first; `since`/`until` are ISO-8601 bounds on `at`, inclusive. */
  list(q: {
    service: string;
    environment?: string;
    instance?: string;
    since?: string;
    until?: string;
    limit?: number;
  }): Promise<EnvironmentEventRecord[]>;
  /** Deletes events older than `before` (ISO-8601); returns how many. */
  prune(before: string): Promise<number>;
}
