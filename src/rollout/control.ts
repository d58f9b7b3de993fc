// What the API asks of the release path: the checks that decide whether a release may start
// (environment, version, track rules, one at a time, and the environment's policy: requires.passed,
// windows, freezes, the vulnerability gate, an admin's override) and the read models.
import type { Actor } from '../auth/types.ts';
import { matchRef } from '../config/track.ts';
import type { LoadedConfig } from '../config/types.ts';
import type { Clock } from '../lib/clock.ts';
import { GantryError } from '../lib/errors.ts';
import { type BudgetSource, describeDecision, PolicyGate } from '../policy/index.ts';
import type { PolicyDecision, PolicyOverride } from '../policy/types.ts';
import type { ReleaseRecord, Store } from '../store/types.ts';
import { ReleaseConflictError } from '../store/types.ts';
import type { ReleaseEngine } from './engine.ts';
import {
  checkRunnable,
  ensureImage,
  type ImageVersionRequest,
  type RecordedImage,
  type ResolveImage,
  recordImageVersion,
} from './image-versions.ts';

export interface ReleaseRequest {
  environment?: string;
  ref?: string;
  version: string;
  /** Runtime docker: the image of a version not recorded yet (default run.image:<version>). */
  image?: string;
  createdBy?: string | null;
  /** Start despite refusing policy rules: needs the admin role and a reason. */
  override?: PolicyOverride;
}

/** What every start returns: the release and the policy decision recorded with it (null: no rules). */
export interface StartedRelease {
  release: ReleaseRecord;
  policy: PolicyDecision | null;
}

export class ControlPlane {
  readonly #cfg: () => LoadedConfig;
  readonly #store: Store;
  readonly #engine: ReleaseEngine;
  readonly #gate: PolicyGate;
  readonly #defaultActor: Actor | undefined;
  readonly #resolveImage: ResolveImage | undefined;

  /**
   * `defaultActor` acts for requests that carry no actor: the composition root passes an admin
   * when the server runs without authentication, and nothing once every request has an actor, so
   * that an anonymous override is refused.
   */
  constructor(opts: {
    config: () => LoadedConfig;
    store: Store;
    engine: ReleaseEngine;
    clock?: Pick<Clock, 'now'>;
    defaultActor?: Actor;
    /** The runtime driver's resolveArtifact (runtime docker): pulls an image and answers its digest. */
    resolveImage?: ResolveImage;
    /** Error budgets of the SLOs, for requires.error_budget. */
    budgets?: BudgetSource;
  }) {
    this.#cfg = opts.config;
    this.#store = opts.store;
    this.#engine = opts.engine;
    this.#gate = new PolicyGate({
      store: opts.store,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.budgets ? { budgets: opts.budgets } : {}),
    });
    this.#defaultActor = opts.defaultActor;
    this.#resolveImage = opts.resolveImage;
  }

  /**
   * Runtime docker: pulls the image of a version and records its digest (or checks the digest the
   * version already has). `gantry deploy|release --image` calls it before attaching a scan report.
   */
  async recordImage(req: Omit<ImageVersionRequest, 'service'>): Promise<RecordedImage> {
    const { config } = this.#cfg();
    if (config.runtime.type !== 'docker') {
      throw new GantryError(
        'RUNTIME_UNAVAILABLE',
        `cannot release ${req.image === undefined ? 'an image' : `image ${req.image}`}: this server runs services as local processes (gantry.yaml has no \`runtime: docker\`)`,
      );
    }
    return recordImageVersion(
      { store: this.#store, resolve: this.#imageResolver(), config },
      { ...req, service: config.service },
    );
  }

  /** `deploy --env` and `release --ref`: the environment is given or chosen by the track rules. */
  async release(req: ReleaseRequest, actor?: Actor): Promise<StartedRelease & { chosenBy?: string }> {
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
    this.#envConfig(environment);
    // The image is pulled and its digest recorded before anything stops.
    const imageReady =
      req.image !== undefined || config.runtime.type === 'docker'
        ? await this.recordImage({
            version: req.version,
            ...(req.image !== undefined ? { image: req.image } : {}),
            gitRef: req.ref ?? null,
          })
        : undefined;
    const started = await this.#startChecked(
      environment,
      req.version,
      req.ref ? 'release' : 'deploy',
      req,
      actor,
      imageReady !== undefined,
    );
    return { ...started, ...(chosenBy ? { chosenBy } : {}) };
  }

  /** Moves the version serving in `from` (or the given one) to `to`; honours `to`'s policy. */
  async promote(
    req: {
      from: string;
      to: string;
      version?: string;
      createdBy?: string | null;
      override?: PolicyOverride;
    },
    actor?: Actor,
  ): Promise<StartedRelease> {
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
    return this.#startChecked(req.to, version, 'promote', req, actor);
  }

  /**
   * Back to the newest version that succeeded before the current one, or to `to`. Windows and
   * freezes do not hold a rollback back (see src/policy/evaluate.ts).
   */
  async rollback(
    req: {
      environment: string;
      to?: string;
      createdBy?: string | null;
      override?: PolicyOverride;
    },
    actor?: Actor,
  ): Promise<StartedRelease> {
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
    return this.#startChecked(req.environment, target, 'rollback', req, actor);
  }

  async #startChecked(
    environment: string,
    version: string,
    kind: ReleaseRecord['kind'],
    req: { createdBy?: string | null; ref?: string; override?: PolicyOverride | undefined },
    requestActor: Actor | undefined,
    imageReady = false,
  ): Promise<StartedRelease> {
    const { config } = this.#cfg();
    const envCfg = this.#envConfig(environment);
    const rec = await this.#store.versions.get(config.service, version);
    if (!rec) {
      throw new GantryError(
        'UNKNOWN_VERSION',
        `version ${version} of ${config.service} has not been uploaded`,
      );
    }
    checkRunnable(config, rec);
    // Promote, rollback: the recorded digest must still be there (pulled again if the engine lost it).
    if (rec.artifactKind === 'image' && !imageReady) await ensureImage(this.#imageResolver(), rec);
    const actor = requestActor ?? this.#defaultActor;
    const policy = await this.#gate.check({
      service: config.service,
      environment: envCfg,
      version,
      kind,
      override: req.override,
      actor,
    });
    try {
      const release = await this.#engine.start({
        environment,
        version,
        kind,
        ref: req.ref ?? null,
        createdBy: req.createdBy ?? requestActor?.name ?? null,
        policy: policy && {
          message: describeDecision(policy),
          data: policy as unknown as Record<string, unknown>,
        },
      });
      return { release, policy };
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

  #imageResolver(): ResolveImage {
    if (this.#resolveImage) return this.#resolveImage;
    throw new GantryError(
      'RUNTIME_UNAVAILABLE',
      'gantry.yaml asks for `runtime: docker`, but this server started without a container driver: restart it',
    );
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
