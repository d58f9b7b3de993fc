// What the API asks of the release path: the checks that decide whether a release may start
// (environment, version, track rules, requires.passed, one at a time) and the read models.
import { matchRef } from '../config/track.ts';
import type { LoadedConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { ReleaseRecord, Store } from '../store/types.ts';
import { ReleaseConflictError } from '../store/types.ts';
import type { ReleaseEngine } from './engine.ts';

export interface ReleaseRequest {
  environment?: string;
  ref?: string;
  version: string;
  createdBy?: string | null;
}

export class ControlPlane {
  readonly #cfg: () => LoadedConfig;
  readonly #store: Store;
  readonly #engine: ReleaseEngine;

  constructor(opts: { config: () => LoadedConfig; store: Store; engine: ReleaseEngine }) {
    this.#cfg = opts.config;
    this.#store = opts.store;
    this.#engine = opts.engine;
  }

  /** `deploy --env` and `release --ref`: the environment is given or chosen by the track rules. */
  async release(req: ReleaseRequest): Promise<{ release: ReleaseRecord; chosenBy?: string }> {
    const { config } = this.#cfg();
    let environment = req.environment;
    let chosenBy: string | undefined;
    if (req.ref !== undefined) {
      if (environment !== undefined) {
        throw new GantryError('BAD_REQUEST', 'give either environment or ref, not both');
      }
      const match = matchRef(config, req.ref);
      if (!match) {
        const rules = Object.values(config.environments)
          .filter((e) => e.track)
          .map((e) => `${e.name}: ${describeTrack(e.track)}`);
        throw new GantryError('NO_TRACK_MATCH', `ref ${req.ref} matches no environment's track rule`, {
          details: { ref: req.ref, rules },
        });
      }
      environment = match.environment;
      const rule = config.environments[match.environment]?.track;
      chosenBy = `${match.kind} ${match.name} matches ${environment} track.${match.kind} ${describeList(match.kind === 'tag' ? rule?.tag : rule?.branch)}`;
    }
    if (environment === undefined) throw new GantryError('BAD_REQUEST', 'environment or ref is required');
    const release = await this.#startChecked(environment, req.version, req.ref ? 'release' : 'deploy', req);
    return { release, ...(chosenBy ? { chosenBy } : {}) };
  }

  /** Moves the version serving in `from` (or the given one) to `to`; honours `to`'s requires.passed. */
  async promote(req: {
    from: string;
    to: string;
    version?: string;
    createdBy?: string | null;
  }): Promise<ReleaseRecord> {
    const { config } = this.#cfg();
    this.#envConfig(req.from);
    let version = req.version;
    if (!version) {
      const from = await this.#store.environments.get(config.service, req.from);
      if (!from?.currentVersion) {
        throw new GantryError(
          'REQUIREMENT_NOT_MET',
          `${req.from} serves no version yet, so there is nothing to promote`,
        );
      }
      version = from.currentVersion;
    } else {
      const passed = await this.#store.releases.succeededVersions(config.service, req.from, 1000);
      if (!passed.includes(version)) {
        throw new GantryError(
          'REQUIREMENT_NOT_MET',
          `${version} has never been released successfully to ${req.from}`,
        );
      }
    }
    return this.#startChecked(req.to, version, 'promote', req);
  }

  /** Back to the newest version that succeeded before the current one, or to `to`. */
  async rollback(req: {
    environment: string;
    to?: string;
    createdBy?: string | null;
  }): Promise<ReleaseRecord> {
    const { config } = this.#cfg();
    this.#envConfig(req.environment);
    const env = await this.#store.environments.get(config.service, req.environment);
    let target = req.to;
    if (!target) {
      const succeeded = await this.#store.releases.succeededVersions(config.service, req.environment, 50);
      target = succeeded.find((v) => v !== env?.currentVersion);
      if (!target) {
        throw new GantryError(
          'NOTHING_TO_ROLL_BACK',
          `${req.environment} has no earlier successful version than ${env?.currentVersion ?? 'none'}`,
        );
      }
    }
    return this.#startChecked(req.environment, target, 'rollback', { ...req, skipRequires: true });
  }

  async #startChecked(
    environment: string,
    version: string,
    kind: ReleaseRecord['kind'],
    req: { createdBy?: string | null; ref?: string; skipRequires?: boolean },
  ): Promise<ReleaseRecord> {
    const { config } = this.#cfg();
    const envCfg = this.#envConfig(environment);
    if (!(await this.#store.versions.get(config.service, version))) {
      throw new GantryError(
        'UNKNOWN_VERSION',
        `version ${version} of ${config.service} has not been uploaded`,
      );
    }
    if (envCfg.requires && !req.skipRequires) {
      const passed = await this.#store.releases.succeededVersions(
        config.service,
        envCfg.requires.passed,
        1000,
      );
      if (!passed.includes(version)) {
        throw new GantryError(
          'REQUIREMENT_NOT_MET',
          `${environment} requires a version that passed ${envCfg.requires.passed}, and ${version} has not`,
          {
            hint: `Release ${version} to ${envCfg.requires.passed} first (gantry deploy --env ${envCfg.requires.passed} --version ${version}).`,
          },
        );
      }
    }
    try {
      return await this.#engine.start({
        environment,
        version,
        kind,
        ref: req.ref ?? null,
        createdBy: req.createdBy ?? null,
      });
    } catch (err) {
      if (err instanceof ReleaseConflictError) {
        throw new GantryError(
          'RELEASE_IN_PROGRESS',
          `${environment} already has release ${err.activeReleaseId} in progress; one release per environment at a time`,
          { details: { activeReleaseId: err.activeReleaseId } },
        );
      }
      throw err;
    }
  }

  #envConfig(name: string) {
    const env = this.#cfg().config.environments[name];
    if (!env) {
      throw new GantryError(
        'UNKNOWN_ENVIRONMENT',
        `no environment ${name} in ${this.#cfg().file} (known: ${Object.keys(this.#cfg().config.environments).join(', ')})`,
      );
    }
    return env;
  }
}

function describeList(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

function describeTrack(t: { branch?: string | string[]; tag?: string | string[] } | undefined): string {
  const parts: string[] = [];
  if (t?.branch) parts.push(`branch ${describeList(t.branch)}`);
  if (t?.tag) parts.push(`tag ${describeList(t.tag)}`);
  return parts.join('; ');
}
