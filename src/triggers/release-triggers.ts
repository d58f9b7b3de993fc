// Release triggers: a push recorded as "release version V to environment E", started at once when
// V is uploaded, otherwise when CI uploads it (checked against the pushed ref and commit), or when
// the environment's release in progress finishes. A newer push to the same environment supersedes
// an older trigger still waiting; a trigger not started within its lifetime expires.
import type { LoadedConfig } from '../config/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import type { ReleaseEventBus } from '../rollout/events.ts';
import type { ReleaseRecord, ReleaseTriggerRecord, Store, VersionRecord } from '../store/types.ts';
import { SHORT_SHA_LENGTH, sameCommit, sameRef } from './version-name.ts';

/** The message of a trigger that waits because the stored upload does not prove it is the push's build. */
export const UNPROVEN_UPLOAD = 'waiting: ';
export const DEFAULT_TRIGGER_TTL_MS = 24 * 3600 * 1000;
/** Deliveries are remembered (the replay guard) and finished triggers kept this long. */
export const DEFAULT_DELIVERY_RETENTION_MS = 30 * 24 * 3600 * 1000;
const SWEEP_EVERY_MS = 10 * 60 * 1000;
/** Who releases started by a push are attributed to (the release's createdBy). */
export const GITHUB_ACTOR_NAME = 'github';

/** What the release path offers triggers: ControlPlane.release. */
export interface ReleaseStarter {
  release(req: {
    ref?: string;
    version: string;
    createdBy?: string | null;
  }): Promise<{ release: ReleaseRecord }>;
}

export type NewTrigger = Pick<
  ReleaseTriggerRecord,
  'environment' | 'version' | 'ref' | 'commit' | 'deliveryId' | 'pusher'
>;

/** The audit log's `record` (src/audit): a release started by an upload is GitHub's act, not the uploader's. */
export interface TriggerAudit {
  record(e: {
    actor: { kind: string; id: string; name: string };
    action: string;
    environment?: string | null;
    release?: string | null;
    target?: string | null;
    details?: Record<string, unknown>;
  }): Promise<unknown>;
}

export interface ReleaseTriggersDeps {
  config: () => LoadedConfig;
  audit?: TriggerAudit;
  store: Pick<Store, 'releases' | 'triggers' | 'versions'>;
  control: ReleaseStarter;
  logger: Logger;
  clock?: Pick<Clock, 'now'>;
  ttlMs?: number;
  retentionMs?: number;
}

export class ReleaseTriggers {
  readonly #deps: ReleaseTriggersDeps;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #ttl: number;
  readonly #retention: number;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: ReleaseTriggersDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#ttl = deps.ttlMs ?? DEFAULT_TRIGGER_TTL_MS;
    this.#retention = deps.retentionMs ?? DEFAULT_DELIVERY_RETENTION_MS;
  }

  /** Records a trigger (superseding older waiting ones of its environment) and tries to start it. */
  record(t: NewTrigger): Promise<ReleaseTriggerRecord> {
    return this.#serial(async () => {
      const { store } = this.#deps;
      const service = this.#service();
      const waiting = await store.triggers.listTriggers({
        service,
        state: 'pending',
        environment: t.environment,
      });
      const trigger = await store.triggers.createTrigger({
        id: newId('trg'),
        service,
        ...t,
        state: 'pending',
        message: `waiting for version ${t.version}`,
        releaseId: null,
        expiresAt: new Date(this.#clock.now() + this.#ttl).toISOString(),
      });
      for (const old of waiting) {
        await store.triggers.moveTrigger(old.id, 'pending', 'superseded', {
          message: `superseded by the push of ${t.ref} (${t.version}, delivery ${t.deliveryId})`,
        });
      }
      return this.#attempt(trigger);
    });
  }

  /** Called when a version's artifact is stored: starts the triggers that waited for it. */
  versionUploaded(v: VersionRecord): Promise<ReleaseTriggerRecord[]> {
    return this.#serial(async () => {
      const waiting = await this.#deps.store.triggers.listTriggers({
        service: v.service,
        state: 'pending',
        version: v.version,
      });
      const out: ReleaseTriggerRecord[] = [];
      for (const t of waiting) out.push(await this.#attempt(t, v));
      return out;
    });
  }

  /** Called when a release finishes: a trigger that waited for its environment to be free may start. */
  environmentFree(environment: string): Promise<void> {
    return this.#serial(async () => {
      const waiting = await this.#deps.store.triggers.listTriggers({
        service: this.#service(),
        state: 'pending',
        environment,
      });
      for (const t of waiting) await this.#attempt(t);
    });
  }

  /** Expires overdue triggers and forgets old deliveries and finished triggers. */
  sweep(): Promise<void> {
    return this.#serial(async () => {
      const { store } = this.#deps;
      const now = this.#clock.now();
      for (const t of await store.triggers.listTriggers({
        service: this.#service(),
        state: 'pending',
        limit: 1000,
      })) {
        if (Date.parse(t.expiresAt) <= now) await this.#expire(t);
      }
      const before = new Date(now - this.#retention).toISOString();
      await store.triggers.pruneDeliveries(before);
      await store.triggers.pruneTriggers(before);
    });
  }

  /** Sweeps now and every few minutes; retries waiting triggers whenever a release finishes. */
  start(bus?: Pick<ReleaseEventBus, 'subscribe'>): void {
    if (bus && !this.#unsubscribe) {
      this.#unsubscribe = bus.subscribe('*', (e) => {
        if (!e.release?.finishedAt || e.event) return;
        this.environmentFree(e.release.environment).catch((err: unknown) =>
          this.#deps.logger.warn({ err }, 'retrying push triggers failed'),
        );
      });
    }
    this.sweep().catch((err: unknown) => this.#deps.logger.warn({ err }, 'trigger sweep failed'));
    this.#timer ??= setInterval(() => {
      this.sweep().catch((err: unknown) => this.#deps.logger.warn({ err }, 'trigger sweep failed'));
    }, SWEEP_EVERY_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#queue.catch(() => {});
  }

  async #attempt(t: ReleaseTriggerRecord, uploaded?: VersionRecord): Promise<ReleaseTriggerRecord> {
    const { store } = this.#deps;
    if (Date.parse(t.expiresAt) <= this.#clock.now()) return this.#expire(t);
    const version = uploaded ?? (await store.versions.get(t.service, t.version));
    if (!version) return t;
    const unproven = describeUnproven(t, version);
    if (unproven) {
      // The stored upload does not say it is this push's build: it is not released, and a later
      // push or the expiry ends the wait; the trigger says why it waits.
      if (unproven !== t.message)
        await store.triggers.moveTrigger(t.id, 'pending', 'pending', { message: unproven });
      return (await store.triggers.getTrigger(t.id)) ?? t;
    }
    const mismatch = describeMismatch(t, version);
    if (mismatch) return this.#finish(t, 'refused', mismatch);
    if (!(await store.triggers.moveTrigger(t.id, 'pending', 'starting', { message: 'starting' }))) {
      return (await store.triggers.getTrigger(t.id)) ?? t;
    }
    try {
      const { release } = await this.#deps.control.release({
        ref: t.ref,
        version: t.version,
        createdBy: GITHUB_ACTOR_NAME,
      });
      await store.releases.appendEvent(release.id, {
        type: 'trigger',
        message: `started by the GitHub push of ${t.ref} at ${t.commit.slice(0, SHORT_SHA_LENGTH)}${t.pusher ? ` by ${t.pusher}` : ''} (delivery ${t.deliveryId})`,
        data: { deliveryId: t.deliveryId, ref: t.ref, commit: t.commit, pusher: t.pusher, triggerId: t.id },
      });
      this.#deps.logger.info(
        { trigger: t.id, release: release.id, environment: release.environment, version: t.version },
        'push trigger started a release',
      );
      await this.#deps.audit
        ?.record({
          actor: { kind: 'webhook', id: `github:${t.deliveryId}`, name: GITHUB_ACTOR_NAME },
          action: 'trigger.release',
          environment: release.environment,
          release: release.id,
          target: t.version,
          details: { ref: t.ref, commit: t.commit, pusher: t.pusher, delivery: t.deliveryId, trigger: t.id },
        })
        .catch((err: unknown) =>
          this.#deps.logger.error({ err, trigger: t.id }, 'auditing a push trigger failed'),
        );
      return this.#move(t, 'starting', 'released', `release ${release.id} started`, release.id);
    } catch (err) {
      if (err instanceof GantryError && err.code === 'RELEASE_IN_PROGRESS') {
        const active = (err.details?.activeReleaseId as string | undefined) ?? 'in progress';
        return this.#move(
          t,
          'starting',
          'pending',
          `waiting for release ${active} in ${t.environment} to finish`,
        );
      }
      const message =
        err instanceof GantryError ? err.message : 'the release could not start (see the server log)';
      if (!(err instanceof GantryError))
        this.#deps.logger.error({ err, trigger: t.id }, 'push trigger failed');
      return this.#move(t, 'starting', 'refused', message);
    }
  }

  async #expire(t: ReleaseTriggerRecord): Promise<ReleaseTriggerRecord> {
    return this.#finish(
      t,
      'expired',
      `version ${t.version} was not uploaded within ${Math.round(this.#ttl / 3600_000)} h of the push`,
    );
  }

  #finish(t: ReleaseTriggerRecord, to: 'refused' | 'expired', message: string) {
    this.#deps.logger.info(
      { trigger: t.id, environment: t.environment, version: t.version, message },
      `push trigger ${to}`,
    );
    return this.#move(t, 'pending', to, message);
  }

  async #move(
    t: ReleaseTriggerRecord,
    from: ReleaseTriggerRecord['state'],
    to: ReleaseTriggerRecord['state'],
    message: string,
    releaseId?: string,
  ): Promise<ReleaseTriggerRecord> {
    const { store } = this.#deps;
    await store.triggers.moveTrigger(t.id, from, to, { message, ...(releaseId ? { releaseId } : {}) });
    return (await store.triggers.getTrigger(t.id)) ?? t;
  }

  #service(): string {
    return this.#deps.config().config.service;
  }

  /** One trigger decision at a time in this process; the state claims guard against other servers. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

/**
 * Why a push may not release an upload that does not record the ref and commit it was built from:
 * anyone allowed to upload (a deployer scoped to staging, say) could otherwise upload a build under
 * the name a later tag push releases to production. Only an upload recorded as the build of the
 * pushed ref and commit matches (`gantry upload --ref --commit`, which CI fills in from GITHUB_REF
 * and GITHUB_SHA).
 */
function describeUnproven(t: ReleaseTriggerRecord, v: VersionRecord): string | undefined {
  const missing = [v.gitRef ? undefined : 'ref', v.gitCommit ? undefined : 'commit'].filter(Boolean);
  if (missing.length === 0) return undefined;
  return `${UNPROVEN_UPLOAD}version ${v.version} was uploaded with no recorded ${missing.join(' or ')}, so it is not known to be the build of ${t.ref} at ${t.commit.slice(0, SHORT_SHA_LENGTH)}; a push releases only an upload recorded with its ref and commit (gantry upload --ref ${t.ref} --commit SHA); if it is that build, release it by hand: gantry release ${t.environment} ${v.version}`;
}

/** Why the uploaded version is not the build of the pushed ref and commit, if it is not. */
function describeMismatch(t: ReleaseTriggerRecord, v: VersionRecord): string | undefined {
  if (v.gitCommit && !sameCommit(v.gitCommit, t.commit)) {
    return `version ${v.version} was uploaded as a build of commit ${v.gitCommit}, but the push of ${t.ref} was commit ${t.commit}: not released`;
  }
  if (v.gitRef && !sameRef(v.gitRef, t.ref)) {
    return `version ${v.version} was uploaded as a build of ${v.gitRef}, but the push was of ${t.ref}: not released`;
  }
  return undefined;
}
