// A changed secret reaches the instances by a rolling restart of the environment's current version:
// new instances start with the new value beside the old ones, take the traffic once ready, and the
// old ones drain, so the change costs no request. Only environments listing the secret restart.
// When a release is already in flight (its instances may have started with the old value), the
// restart follows as soon as it finishes.
import type { LoadedConfig } from '../config/types.ts';
import type { Logger } from '../lib/log.ts';
import { ReleaseConflictError, type Store } from '../store/types.ts';
import type { RestartOutcome, RestartStarter } from './types.ts';

/** The release events the restarter waits on (ReleaseEventBus). */
export interface ReleaseFinishSource {
  subscribe(releaseId: string, fn: (e: { release?: { finishedAt: string | null } }) => void): () => void;
}

export interface RestartDeps {
  config: () => LoadedConfig;
  store: Pick<Store, 'environments' | 'releases'>;
  releases: RestartStarter;
  bus: ReleaseFinishSource;
  logger: Logger;
}

interface Pending {
  names: Set<string>;
  by: string | null;
  unsubscribe: () => void;
}

export class SecretRestarts {
  readonly #deps: RestartDeps;
  /** Environments waiting for a release in flight to finish, by environment. */
  readonly #pending = new Map<string, Pending>();

  constructor(deps: RestartDeps) {
    this.#deps = deps;
  }

  /**
   * Restarts `environment` after its secret `name` was set, if the environment lists it; undefined
   * when it does not (its instances never see that secret).
   */
  async afterSet(change: {
    environment: string;
    name: string;
    by: string | null;
  }): Promise<RestartOutcome | undefined> {
    const env = this.#deps.config().config.environments[change.environment];
    if (!env?.secrets.includes(change.name)) return undefined;
    return this.#restart(change.environment, new Set([change.name]), change.by);
  }

  /** Stops waiting for releases in flight (server shutdown). */
  close(): void {
    for (const p of this.#pending.values()) p.unsubscribe();
    this.#pending.clear();
  }

  async #restart(environment: string, names: Set<string>, by: string | null): Promise<RestartOutcome> {
    const { config } = this.#deps.config();
    const list = [...names].join(', ');
    const current = await this.#deps.store.environments.get(config.service, environment);
    const version = current?.currentVersion;
    if (!version) {
      return {
        releaseId: null,
        message: `${environment} runs no version yet: its first release will get ${list}`,
      };
    }
    try {
      const release = await this.#deps.releases.start({
        environment,
        version,
        kind: 'restart',
        createdBy: by,
      });
      await this.#deps.store.releases.appendEvent(release.id, {
        type: 'restart.reason',
        message: `rolling restart of ${version}: secret ${list} ${names.size > 1 ? 'were' : 'was'} set${by ? ` by ${by}` : ''}`,
        data: { secrets: [...names] },
      });
      return {
        releaseId: release.id,
        message: `rolling restart ${release.id} of ${environment} (${version}) started, so its instances get the new ${list}`,
      };
    } catch (err) {
      if (!(err instanceof ReleaseConflictError)) throw err;
      this.#waitFor(environment, err.activeReleaseId, names, by);
      return {
        releaseId: null,
        activeReleaseId: err.activeReleaseId,
        message: `${environment} has release ${err.activeReleaseId} in progress: a rolling restart follows when it finishes, so that every instance gets the new ${list}`,
      };
    }
  }

  #waitFor(environment: string, releaseId: string, names: Set<string>, by: string | null): void {
    const waiting = this.#pending.get(environment);
    if (waiting) {
      for (const n of names) waiting.names.add(n);
      waiting.by = by;
      return;
    }
    const pending: Pending = { names: new Set(names), by, unsubscribe: () => {} };
    this.#pending.set(environment, pending);
    const go = () => {
      if (this.#pending.get(environment) !== pending) return;
      pending.unsubscribe();
      this.#pending.delete(environment);
      this.#restart(environment, pending.names, pending.by).then(
        (outcome) => this.#deps.logger.info({ environment, release: outcome.releaseId }, outcome.message),
        (err: unknown) =>
          this.#deps.logger.error({ err, environment }, 'the restart after a secret change failed to start'),
      );
    };
    pending.unsubscribe = this.#deps.bus.subscribe(releaseId, (e) => {
      if (e.release?.finishedAt) go();
    });
    // It may have finished before the subscription.
    this.#deps.store.releases.get(releaseId).then(
      (r) => {
        if (!r || r.finishedAt) go();
      },
      () => go(),
    );
  }
}
