// The services a server runs, and the reload of their files: every file is read and checked first,
// then changed services take their new config, removed ones stop (refused while they have running
// instances, unless forced) and added ones start. Nothing is touched when any check fails.
import { loadConfigFileOffThread } from '../config/index.ts';
import type { LoadedConfig } from '../config/types.ts';
import { GantryError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { ReloadResult } from './reload.ts';
import { loadServiceFiles } from './service-files.ts';
import type { ServiceRuntime } from './service-runtime.ts';

export interface ServerReloadResult extends ReloadResult {
  /** Services started by this reload (only when some were). */
  added?: string[];
  /** Services stopped by this reload (only when some were). */
  removed?: string[];
  /** Each remaining service's file and applied sections (on a server with several services). */
  services?: Array<{ service: string } & ReloadResult>;
}

export interface ServiceSummary {
  name: string;
  environments: string[];
}

export interface ServiceSetOptions {
  /** The --config arguments (files or directories), read again at every reload. */
  configArgs: readonly string[];
  logger: Logger;
  start(loaded: LoadedConfig): Promise<ServiceRuntime>;
  stop(runtime: ServiceRuntime, opts: { stopInstances: boolean; keepDataPlane?: boolean }): Promise<void>;
}

export class ServiceSet {
  readonly #o: ServiceSetOptions;
  readonly #runtimes = new Map<string, ServiceRuntime>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: ServiceSetOptions) {
    this.#o = opts;
  }

  runtimes(): ReadonlyMap<string, ServiceRuntime> {
    return this.#runtimes;
  }

  summaries(): ServiceSummary[] {
    return [...this.#runtimes.values()].map((r) => ({
      name: r.name,
      environments: Object.keys(r.holder.get().config.environments),
    }));
  }

  async add(loaded: LoadedConfig): Promise<void> {
    this.#runtimes.set(loaded.config.service, await this.#o.start(loaded));
  }

  /** One reload at a time: a second waits for the first. */
  reload(opts: { force?: boolean } = {}): Promise<ServerReloadResult> {
    const run = this.#queue.then(() => this.#reload(opts.force ?? false));
    this.#queue = run.catch(() => {});
    return run;
  }

  async closeAll(opts: { stopInstances: boolean; keepDataPlane?: boolean }): Promise<void> {
    for (const runtime of [...this.#runtimes.values()].reverse()) {
      this.#runtimes.delete(runtime.name);
      await this.#o.stop(runtime, opts);
    }
  }

  async #reload(force: boolean): Promise<ServerReloadResult> {
    // Off the event loop, every file whole; a bad one (or two naming one service) changes nothing.
    const next = await loadServiceFiles(this.#o.configArgs, loadConfigFileOffThread);
    const names = new Set(next.map((l) => l.config.service));
    const removed = [...this.#runtimes.values()].filter((r) => !names.has(r.name));
    const added = next.filter((l) => !this.#runtimes.has(l.config.service));
    const kept = next.filter((l) => this.#runtimes.has(l.config.service));
    for (const l of kept) this.#runtime(l).holder.verify(l);
    const running = removed.flatMap((r) => r.fleet.list().map((m) => `${r.name}/${m.id}`));
    if (running.length > 0 && !force) {
      throw new GantryError(
        'SERVICE_HAS_INSTANCES',
        `removing service ${removed.map((r) => r.name).join(', ')} would stop its running instances (${running.join(', ')}); nothing was changed`,
        { details: { services: removed.map((r) => r.name), instances: running } },
      );
    }

    const results: Array<{ service: string } & ReloadResult> = [];
    for (const l of kept)
      results.push({ service: l.config.service, ...(await this.#runtime(l).holder.apply(l)) });
    for (const r of removed) {
      this.#runtimes.delete(r.name);
      await this.#o.stop(r, { stopInstances: true });
      this.#o.logger.info({ service: r.name }, 'service removed by a reload');
    }
    for (const l of added) {
      await this.add(l).catch((err: unknown) => {
        throw new GantryError(
          'CONFIG_RELOAD_FAILED',
          `${l.file}: service ${l.config.service} could not start (${(err as Error).message}); the other files' changes were applied`,
          { details: { service: l.config.service } },
        );
      });
      this.#o.logger.info({ service: l.config.service, file: l.file }, 'service added by a reload');
    }
    const only = results.length === 1 && next.length === 1 ? results[0] : undefined;
    return {
      file: only?.file ?? this.#o.configArgs.join(', '),
      applied: only?.applied ?? results.flatMap((r) => r.applied.map((k) => `${r.service}:${k}`)),
      ...(added.length > 0 ? { added: added.map((l) => l.config.service) } : {}),
      ...(removed.length > 0 ? { removed: removed.map((r) => r.name) } : {}),
      ...(next.length > 1 ? { services: results } : {}),
    };
  }

  #runtime(l: LoadedConfig): ServiceRuntime {
    return this.#runtimes.get(l.config.service) as ServiceRuntime;
  }
}
