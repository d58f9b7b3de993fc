// Releases as durable state machines: every transition is written before it is acted
// on, so a server killed at any point can tell, after a restart, how far a release got.
//
//   rolling: pending → starting → verifying → switching → draining → succeeded
//   canary:  pending → starting → verifying → progressing ⇄ paused → promoting → switching → draining → succeeded
//                                                  └→ rolling_back → rolled_back | aborted
//   either:  starting/verifying → failed (new instances stopped; the old version never stopped serving)
//
// The environment's current version changes in the same transaction as the move to `switching`:
// before it the old version is the one to keep serving, after it the new one.
import type { LoadedConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import type { MetricsReader } from '../metrics/types.ts';
import { describeMissingSecrets } from '../secrets/inject.ts';
import type { NewRelease, ReleaseRecord, ReleaseState, Store, TransitionInput } from '../store/types.ts';
import { runCanary } from './canary.ts';
import type { ReleaseEventBus } from './events.ts';
import type { Fleet } from './fleet.ts';
import { runRolling } from './rolling.ts';
import { type ControlAction, ReleaseControl, RunContext, type RunDeps } from './run-context.ts';

export interface StartReleaseInput {
  environment: string;
  version: string;
  kind: NewRelease['kind'];
  ref?: string | null;
  createdBy?: string | null;
  /** The policy decision, recorded as the release's `policy` event before anything starts. */
  policy?: { message: string; data: Record<string, unknown> } | null;
}

/** Which actions apply in which states. */
const ACTIONS: Record<ControlAction, readonly ReleaseState[]> = {
  abort: ['pending', 'starting', 'verifying', 'progressing', 'paused', 'promoting'],
  pause: ['progressing'],
  resume: ['paused'],
  promote: ['progressing', 'paused'],
};

export class ReleaseEngine {
  readonly #cfg: () => LoadedConfig;
  readonly #store: Store;
  readonly #fleet: Fleet;
  readonly #bus: ReleaseEventBus;
  readonly #log: Logger;
  readonly #deps: RunDeps;
  readonly #running = new Map<
    string,
    { promise: Promise<void>; abort: AbortController; control: ReleaseControl }
  >();
  readonly #lastSeq = new Map<string, number>();

  constructor(opts: {
    config: () => LoadedConfig;
    store: Store;
    fleet: Fleet;
    bus: ReleaseEventBus;
    metrics: MetricsReader;
    logger: Logger;
    clock?: Clock;
  }) {
    this.#cfg = opts.config;
    this.#store = opts.store;
    this.#fleet = opts.fleet;
    this.#bus = opts.bus;
    this.#log = opts.logger;
    this.#deps = {
      config: opts.config,
      store: opts.store,
      fleet: opts.fleet,
      metrics: opts.metrics,
      clock: opts.clock ?? systemClock,
      log: opts.logger,
      transition: (id, state, t) => this.#transition(id, state, t),
      event: (id, type, message, data) => this.#event(id, type, message, data),
      savePlan: async (id, plan, event) => {
        await this.#store.releases.savePlan(id, plan, event);
        await this.#publishNew(id);
      },
    };
  }

  /** Records a release (refusing a second active one per environment) and runs it in the background. */
  async start(input: StartReleaseInput): Promise<ReleaseRecord> {
    const { config } = this.#cfg();
    const env = await this.#store.environments.get(config.service, input.environment);
    const envCfg = config.environments[input.environment];
    const previous = env?.currentVersion ?? null;
    // A canary needs a stable version to compare with and to fall back to; a rollback is urgent.
    const canary =
      envCfg?.strategy.type === 'canary' &&
      input.kind !== 'rollback' &&
      previous !== null &&
      previous !== input.version;
    const release = await this.#store.releases.create({
      id: newId('rel'),
      service: config.service,
      environment: input.environment,
      kind: input.kind,
      version: input.version,
      previousVersion: previous,
      strategy: canary ? 'canary' : 'rolling',
      ref: input.ref ?? null,
      createdBy: input.createdBy ?? null,
      plan: { newInstanceIds: [], oldInstanceIds: [] },
    });
    if (input.policy) {
      await this.#store.releases.appendEvent(release.id, { type: 'policy', ...input.policy });
    }
    await this.#publishNew(release.id);
    this.#spawn(release);
    return release;
  }

  /** An operator's abort, pause, resume or promote, recorded as an event before it takes effect. */
  async control(
    id: string,
    action: ControlAction,
    reason: string | null,
    by: string | null,
  ): Promise<ReleaseRecord> {
    const rel = await this.#store.releases.get(id);
    if (!rel) throw new GantryError('NOT_FOUND', `no release ${id}`);
    const running = this.#running.get(id);
    if (
      !ACTIONS[action].includes(rel.state) ||
      !running ||
      (action !== 'abort' && rel.strategy !== 'canary')
    ) {
      throw new GantryError(
        'INVALID_RELEASE_STATE',
        `cannot ${action} release ${id}: it is ${rel.state} (${rel.strategy})`,
      );
    }
    const why = reason ?? 'no reason given';
    await this.#event(id, 'control', `${action} by ${by ?? 'an operator'}: ${why}`, { action, reason, by });
    if (action === 'pause')
      await this.#transition(id, 'paused', { reason: 'Paused', message: `paused: ${why}` });
    if (action === 'resume')
      await this.#transition(id, 'progressing', { reason: 'Resumed', message: `resumed: ${why}` });
    running.control.request(action, why);
    return (await this.#store.releases.get(id)) as ReleaseRecord;
  }

  /** Waits for a release run by this server to finish (tests, bootstrap). */
  async wait(id: string): Promise<ReleaseRecord | undefined> {
    await this.#running.get(id)?.promise;
    return this.#store.releases.get(id);
  }

  /** Releases in flight stop where they are; their durable state lets the next server resolve them. */
  async close(): Promise<void> {
    for (const r of this.#running.values()) r.abort.abort(new Error('server shutting down'));
    await Promise.allSettled([...this.#running.values()].map((r) => r.promise));
  }

  /**
   * After a restart: every release found in flight is resumed where its record says it was
   * (traffic already moved, or a canary at a persisted step), or rolled back (new instances not
   * yet serving). Instances were adopted before this runs.
   */
  async recover(): Promise<void> {
    const { config } = this.#cfg();
    for (const rel of await this.#store.releases.listActive(config.service)) {
      const resumable =
        rel.state === 'switching' ||
        rel.state === 'draining' ||
        (rel.strategy === 'canary' &&
          ['progressing', 'paused', 'promoting', 'rolling_back'].includes(rel.state));
      if (resumable) {
        this.#log.info({ release: rel.id, state: rel.state }, 'resuming release after restart');
        await this.#event(rel.id, 'resumed', `server restarted during ${rel.state}; resuming`, {
          state: rel.state,
        });
        this.#spawn(rel);
        continue;
      }
      this.#log.info({ release: rel.id, state: rel.state }, 'rolling back release after restart');
      await this.#fleet.stop(rel.plan.newInstanceIds, { drain: false });
      await this.#transition(rel.id, 'failed', {
        reason: 'Interrupted',
        message:
          `server restarted while the release was ${rel.state}, before traffic moved to ${rel.version}; ` +
          `${rel.environment} stays on ${rel.previousVersion ?? 'no version'}. Start the release again.`,
      });
    }
  }

  #spawn(release: ReleaseRecord): void {
    const abort = new AbortController();
    const control = new ReleaseControl();
    const ctx = new RunContext(release, abort.signal, control, this.#deps);
    const promise = this.#run(ctx)
      .catch(async (err: unknown) => {
        if (abort.signal.aborted) return;
        this.#log.error({ err, release: release.id }, 'release crashed');
        await this.#transition(release.id, 'failed', {
          reason: 'InternalError',
          message: `internal error: ${(err as Error).message}`,
        }).catch(() => {});
      })
      .finally(() => this.#running.delete(release.id));
    this.#running.set(release.id, { promise, abort, control });
  }

  async #run(ctx: RunContext): Promise<void> {
    const envCfg = this.#cfg().config.environments[ctx.release.environment];
    if (!envCfg) {
      await ctx.to('failed', {
        reason: 'UnknownEnvironment',
        message: `environment ${ctx.release.environment} is not in gantry.yaml`,
      });
      return;
    }
    // Before any instance starts: an instance without a secret it needs would only crash or misbehave.
    const missing =
      ctx.release.state === 'pending' ? this.#fleet.missingSecrets(ctx.release.environment) : [];
    if (missing.length > 0) {
      await ctx.to('failed', {
        reason: 'MissingSecret',
        message: `${describeMissingSecrets(ctx.release.environment, missing)}; ${ctx.release.environment} keeps serving ${ctx.release.previousVersion ?? 'nothing'}`,
        data: { missing },
      });
      return;
    }
    if (ctx.release.strategy === 'canary' && envCfg.strategy.type === 'canary') {
      await runCanary(ctx, envCfg.strategy.canary);
    } else {
      await runRolling(ctx);
    }
  }

  async #transition(
    id: string,
    state: ReleaseState,
    t: Omit<TransitionInput, 'state'>,
  ): Promise<ReleaseRecord> {
    const rel = await this.#store.releases.transition(id, { state, ...t });
    this.#log.info({ release: id, environment: rel.environment, version: rel.version, state }, t.message);
    await this.#publishNew(id, rel);
    return rel;
  }

  async #event(id: string, type: string, message: string, data?: Record<string, unknown>): Promise<void> {
    await this.#store.releases.appendEvent(id, { type, message, ...(data ? { data } : {}) });
    await this.#publishNew(id);
  }

  async #publishNew(id: string, release?: ReleaseRecord): Promise<void> {
    const after = this.#lastSeq.get(id) ?? 0;
    const events = await this.#store.releases.events(id, after);
    for (const event of events) {
      this.#lastSeq.set(id, event.seq);
      this.#bus.publish(id, { event });
    }
    if (release) {
      this.#bus.publish(id, { release });
      if (release.finishedAt) this.#lastSeq.delete(id);
    }
  }
}
