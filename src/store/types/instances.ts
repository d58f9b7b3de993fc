// Instances as recorded: what runs them (the runtime's opaque handle), where and in which state.

export type InstanceState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export type StoredHandle = { readonly driver: string } & Record<string, unknown>;

export interface InstanceRecord {
  id: string; // e.g. production-v2-3f9a
  service: string;
  environment: string;
  version: string;
  releaseId: string | null;
  runtime: 'process' | 'docker' | 'kubernetes';
  state: InstanceState;
  /**
   * What runs the instance, as its runtime describes it: opaque outside runtime/, JSON-serialisable,
   * with the driver's kind in `driver`. Null while nothing runs (not started yet, in backoff).
   */
  handle: StoredHandle | null;
  port: number | null;
  restarts: number;
  createdAt: string;
  updatedAt: string;
}

export interface InstanceRepo {
  upsert(i: Omit<InstanceRecord, 'createdAt' | 'updatedAt'>): Promise<void>;
  get(id: string): Promise<InstanceRecord | undefined>;
  list(q?: { service?: string; environment?: string }): Promise<InstanceRecord[]>;
  remove(id: string): Promise<void>;
}
