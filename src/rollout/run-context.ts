// What a strategy (rolling, canary) works with while it runs one release: the durable record it
// advances, the fleet, the metrics, operator control, and the write-then-act helpers.
import { formatElapsed } from '../analysis/format.ts';
import type { EnvironmentConfig, LoadedConfig } from '../config/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { MetricsReader } from '../metrics/types.ts';
import { describeHandle } from '../runtime/index.ts';
import type { ReleasePlan, ReleaseRecord, ReleaseState, Store, TransitionInput } from '../store/types.ts';
import type { Fleet } from './fleet.ts';

export type ControlAction = 'abort' | 'pause' | 'resume' | 'promote';

/** Operator requests for a running release; strategies poll it and wait on it. */
export class ReleaseControl {
  paused = false;
  promoteRequested = false;
  abortRequested: { reason: string } | null = null;
  /** Aborted when an operator aborts the release: cuts waits short. */
  readonly abortSignal: AbortSignal;
  readonly #abort = new AbortController();
  #waiters = new Set<() => void>();

  constructor() {
    this.abortSignal = this.#abort.signal;
  }

  request(action: ControlAction, reason: string): void {
    if (action === 'abort') {
      this.abortRequested = { reason };
      this.#abort.abort(new Error(`aborted: ${reason}`));
    } else if (action === 'pause') this.paused = true;
    else if (action === 'resume') this.paused = false;
    else this.promoteRequested = true;
    this.wake();
  }

  wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves after ms, or earlier when an operator acts or the signal aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

export interface RunDeps {
  config: () => LoadedConfig;
  store: Store;
  fleet: Fleet;
  metrics: MetricsReader;
  clock: Clock;
  log: Logger;
  transition(id: string, state: ReleaseState, t: Omit<TransitionInput, 'state'>): Promise<ReleaseRecord>;
  event(id: string, type: string, message: string, data?: Record<string, unknown>): Promise<void>;
  savePlan(
    id: string,
    plan: ReleasePlan,
    event?: { type: string; message: string; data?: Record<string, unknown> },
  ): Promise<void>;
}

export class RunContext {
  release: ReleaseRecord;
  readonly signal: AbortSignal;
  readonly control: ReleaseControl;
  readonly deps: RunDeps;

  constructor(release: ReleaseRecord, signal: AbortSignal, control: ReleaseControl, deps: RunDeps) {
    this.release = release;
    this.signal = signal;
    this.control = control;
    this.deps = deps;
  }

  get env(): EnvironmentConfig {
    const env = this.deps.config().config.environments[this.release.environment];
    if (!env) throw new Error(`environment ${this.release.environment} is not in gantry.yaml`);
    return env;
  }

  get plan(): ReleasePlan {
    return this.release.plan;
  }

  async to(state: ReleaseState, t: Omit<TransitionInput, 'state'>): Promise<void> {
    this.release = await this.deps.transition(this.release.id, state, t);
  }

  async event(type: string, message: string, data?: Record<string, unknown>): Promise<void> {
    await this.deps.event(this.release.id, type, message, data);
  }

  async savePlan(
    plan: ReleasePlan,
    event?: { type: string; message: string; data?: Record<string, unknown> },
  ): Promise<void> {
    await this.deps.savePlan(this.release.id, plan, event);
    this.release = { ...this.release, plan };
  }

  /**
   * Starts `ids` as instances of the release's version (not waiting for them to be ready), all at
   * once: a container's create and start are the engine's work (about half a second each with
   * Podman), so one after the other made a release of N instances wait N times that. Each start
   * is recorded as it succeeds; once all have settled, the first failure is thrown.
   */
  async startInstances(ids: string[]): Promise<void> {
    const outcomes = await Promise.allSettled(ids.map((id) => this.#startOne(id)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async #startOne(id: string): Promise<void> {
    if (this.signal.aborted) return;
    const m = await this.deps.fleet.start(
      id,
      this.release.environment,
      this.release.version,
      this.release.id,
    );
    await this.event(
      'instance.started',
      `instance ${id} started (${describeHandle(m.info.handle) ?? 'not running yet'}, port ${m.info.port})`,
      {
        instance: id,
        handle: m.info.handle,
        port: m.info.port,
      },
    );
  }

  /** Waits until all are ready within the startup timeout; on failure stops them and says why. */
  async verify(ids: string[]): Promise<{ ok: true } | { ok: false; reason: string }> {
    const { fleet, config } = this.deps;
    if (this.signal.aborted) return { ok: false, reason: 'release was interrupted' };
    const timeout = config().config.health.startup_timeout;
    const outcome = await fleet.waitReady(
      ids,
      timeout,
      AbortSignal.any([this.signal, this.control.abortSignal]),
    );
    if (outcome.ok) {
      await this.event(
        'instances.ready',
        `${ids.length}/${ids.length} instances of ${this.release.version} ready`,
        {
          ready: ids.length,
        },
      );
      return { ok: true };
    }
    // Stopping takes up to run.stop_timeout more (SIGTERM, then SIGKILL): said apart from the
    // startup timeout, when it starts and in the outcome, so the wait is not a mystery.
    const grace = config().config.run.stop_timeout;
    const stopping = this.deps.clock.now();
    if (!this.control.abortRequested && !this.signal.aborted) {
      await this.event(
        'instances.not_ready',
        `${outcome.reason}; stopping ${ids.length} instance(s), up to ${formatElapsed(grace)} (run.stop_timeout)`,
        { instances: ids, stopTimeoutMs: grace },
      );
    }
    await fleet.stop(ids, { drain: false });
    const took = formatElapsed(this.deps.clock.now() - stopping);
    return {
      ok: false,
      reason: `${outcome.reason}; stopped in ${took} (run.stop_timeout ${formatElapsed(grace)})`,
    };
  }

  async startAndVerify(ids: string[]): Promise<{ ok: true } | { ok: false; reason: string }> {
    await this.startInstances(ids);
    return this.verify(ids);
  }
}
