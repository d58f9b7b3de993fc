// Releases as durable state machines (DESIGN §3): every transition is written before it is acted
// on, so a server killed at any point can tell, after a restart, how far a release got.
//
//   pending → starting → verifying → switching → draining → succeeded
//                 └──────────┴→ failed (new instances stopped; the old version never stopped serving)
//
// The environment's current version changes in the same transaction as the move to `switching`:
// before it the old version is the one to keep serving, after it the new one.
import type { LoadedConfig } from '../config/types.ts';
import { newId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import type { NewRelease, ReleasePlan, ReleaseRecord, ReleaseState, Store } from '../store/types.ts';
import type { ReleaseEventBus } from './events.ts';
import type { Fleet } from './fleet.ts';

export interface StartReleaseInput {
  environment: string;
  version: string;
  kind: NewRelease['kind'];
  ref?: string | null;
  createdBy?: string | null;
}

export class ReleaseEngine {
  readonly #cfg: () => LoadedConfig;
  readonly #store: Store;
  readonly #fleet: Fleet;
  readonly #bus: ReleaseEventBus;
  readonly #log: Logger;
  readonly #running = new Map<string, { promise: Promise<void>; abort: AbortController }>();
  readonly #lastSeq = new Map<string, number>();

  constructor(opts: {
    config: () => LoadedConfig;
    store: Store;
    fleet: Fleet;
    bus: ReleaseEventBus;
    logger: Logger;
  }) {
    this.#cfg = opts.config;
    this.#store = opts.store;
    this.#fleet = opts.fleet;
    this.#bus = opts.bus;
    this.#log = opts.logger;
  }

  /** Records a release (refusing a second active one per environment) and runs it in the background. */
  async start(input: StartReleaseInput): Promise<ReleaseRecord> {
    const { config } = this.#cfg();
    const env = await this.#store.environments.get(config.service, input.environment);
    const release = await this.#store.releases.create({
      id: newId('rel'),
      service: config.service,
      environment: input.environment,
      kind: input.kind,
      version: input.version,
      previousVersion: env?.currentVersion ?? null,
      strategy: 'rolling',
      ref: input.ref ?? null,
      createdBy: input.createdBy ?? null,
      plan: { newInstanceIds: [], oldInstanceIds: [] },
    });
    await this.#publishNew(release.id);
    this.#spawn(release);
    return release;
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
   * After a restart: every release found in flight is either completed (traffic had already moved
   * to the new version) or rolled back (it had not). Instances were adopted before this runs.
   */
  async recover(): Promise<void> {
    const { config } = this.#cfg();
    for (const rel of await this.#store.releases.listActive(config.service)) {
      if (rel.state === 'switching' || rel.state === 'draining') {
        this.#log.info({ release: rel.id, state: rel.state }, 'resuming release after restart');
        await this.#transition(rel.id, 'draining', {
          reason: 'Resumed',
          message: `server restarted during ${rel.state}; ${rel.environment} already serves ${rel.version}, finishing`,
        });
        this.#spawn({ ...rel, state: 'draining' });
      } else {
        const ids = rel.plan.newInstanceIds;
        this.#log.info({ release: rel.id, state: rel.state }, 'rolling back release after restart');
        await this.#fleet.stop(ids, { drain: false });
        await this.#transition(rel.id, 'failed', {
          reason: 'Interrupted',
          message:
            `server restarted while the release was ${rel.state}, before traffic moved to ${rel.version}; ` +
            `${rel.environment} stays on ${rel.previousVersion ?? 'no version'}. Start the release again.`,
        });
      }
    }
  }

  #spawn(release: ReleaseRecord): void {
    const abort = new AbortController();
    const promise = this.#run(release, abort.signal)
      .catch(async (err: unknown) => {
        if (abort.signal.aborted) return;
        this.#log.error({ err, release: release.id }, 'release crashed');
        await this.#fail(release.id, 'InternalError', `internal error: ${(err as Error).message}`).catch(
          () => {},
        );
      })
      .finally(() => this.#running.delete(release.id));
    this.#running.set(release.id, { promise, abort });
  }

  async #run(release: ReleaseRecord, signal: AbortSignal): Promise<void> {
    const { config } = this.#cfg();
    const envCfg = config.environments[release.environment];
    if (!envCfg) {
      await this.#fail(
        release.id,
        'UnknownEnvironment',
        `environment ${release.environment} is not in gantry.yaml`,
      );
      return;
    }
    let plan = release.plan;
    if (release.state === 'pending') {
      const serving = this.#fleet.serving(release.environment).flatMap((p) => p.instanceIds);
      const leftovers = this.#fleet
        .list(release.environment)
        .filter((m) => !serving.includes(m.id))
        .map((m) => m.id);
      plan = {
        ...plan,
        oldInstanceIds: [...serving, ...leftovers],
        newInstanceIds: Array.from({ length: envCfg.instances }, () =>
          this.#fleet.newInstanceId(release.environment, release.version),
        ),
      };
      await this.#transition(release.id, 'starting', {
        message: `starting ${plan.newInstanceIds.length} instance(s) of ${release.version}`,
        plan,
      });
      for (const id of plan.newInstanceIds) {
        if (signal.aborted) return;
        const m = await this.#fleet.start(id, release.environment, release.version, release.id);
        await this.#event(
          release.id,
          'instance.started',
          `instance ${id} started (pid ${m.info.pid}, port ${m.info.port})`,
          {
            instance: id,
            pid: m.info.pid,
            port: m.info.port,
          },
        );
      }
      const timeout = config.health.startup_timeout;
      await this.#transition(release.id, 'verifying', {
        message: `waiting up to ${Math.round(timeout / 1000)} s for ${plan.newInstanceIds.length} instance(s) to become ready`,
      });
      const outcome = await this.#fleet.waitReady(plan.newInstanceIds, timeout, signal);
      if (signal.aborted) return;
      if (!outcome.ok) {
        await this.#fleet.stop(plan.newInstanceIds, { drain: false });
        await this.#fail(
          release.id,
          'NotReady',
          `${release.version} never became ready: ${outcome.reason}; ${release.environment} keeps serving ${release.previousVersion ?? 'nothing'}`,
        );
        return;
      }
      await this.#event(
        release.id,
        'instances.ready',
        `${plan.newInstanceIds.length}/${plan.newInstanceIds.length} instances ready`,
        {
          ready: plan.newInstanceIds.length,
        },
      );
      await this.#transition(release.id, 'switching', {
        message: `moving traffic from ${release.previousVersion ?? 'nothing'} to ${release.version}`,
        setCurrentVersion: release.version,
      });
      await this.#fleet.setServing(release.environment, [
        { version: release.version, weight: 100, instanceIds: plan.newInstanceIds },
      ]);
      await this.#transition(release.id, 'draining', {
        message: `draining and stopping ${plan.oldInstanceIds.length} old instance(s)`,
      });
    }
    // Resumed after a restart in switching/draining: recoverFleet already serves the new version.
    const old = [...new Set(plan.oldInstanceIds)].filter((id) => !plan.newInstanceIds.includes(id));
    await this.#fleet.stop(old, { drain: true });
    await this.#transition(release.id, 'succeeded', {
      reason: 'Succeeded',
      message: `${release.environment} now serves ${release.version}`,
    });
  }

  async #fail(id: string, reason: string, message: string): Promise<void> {
    await this.#transition(id, 'failed', { reason, message });
  }

  async #transition(
    id: string,
    state: ReleaseState,
    t: { reason?: string; message: string; plan?: ReleasePlan; setCurrentVersion?: string },
  ): Promise<void> {
    const rel = await this.#store.releases.transition(id, { state, ...t });
    this.#log.info({ release: id, environment: rel.environment, version: rel.version, state }, t.message);
    await this.#publishNew(id, rel);
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
