// Results and events of health probes: what the rollout and alarms consume.

export interface ProbeTarget {
  host: string;
  port: number;
}

export interface ProbeResult {
  ok: boolean;
  /** Epoch ms when the probe started. */
  at: number;
  latencyMs: number;
  /** HTTP status, for HTTP probes that got a response. */
  status?: number;
  /** Why it passed or failed, as one human sentence (at most 300 characters). */
  detail: string;
}

export type ProbeEvent =
  | { type: 'ready' | 'unready'; result: ProbeResult }
  | { type: 'liveness_failed'; failures: number; result: ProbeResult }
  | { type: 'startup_failed'; result: ProbeResult; elapsedMs: number };

export type WaitReadyResult =
  | { ready: true; result: ProbeResult }
  | { ready: false; result: ProbeResult; reason: 'timeout' | 'stopped' };

export interface InstanceProber {
  /** Starts probing; a second call does nothing. A stopped prober cannot be started again. */
  start(): void;
  /** Stops probing and cancels in-flight probes; resolves once every probe loop has exited. */
  stop(): Promise<void>;
  readonly ready: boolean;
  readonly lastReadiness: ProbeResult | undefined;
  readonly lastLiveness: ProbeResult | undefined;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(fn: (e: ProbeEvent) => void): () => void;
  /**
   * Resolves as soon as the instance is ready, or with reason 'timeout' after timeoutMs, or
   * 'stopped' when the prober stops or `signal` aborts.
   */
  waitReady(timeoutMs: number, signal?: AbortSignal): Promise<WaitReadyResult>;
}
