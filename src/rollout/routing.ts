// Routing: the one owner of what the data plane should do. Releases say which instances serve an
// environment at which weight; routing keeps that, turns it into the data plane's desired state
// (one route per configured environment, only instances ready for traffic), and hands each new
// state to the data plane in order.
import type { EnvironmentConfig, LoadedConfig } from '../config/types.ts';
import type { Logger } from '../lib/log.ts';
import type { Backend, DataPlane, DesiredState, Pool } from '../proxy/types.ts';

export interface ServingPool {
  version: string;
  weight: number;
  instanceIds: string[];
}

/** How routing sees an instance: the backend it would be, and whether it may take traffic now. */
export type RoutableInstance = (id: string) => { backend: Backend; routable: boolean } | undefined;

export class Routing {
  readonly #cfg: () => LoadedConfig;
  readonly #plane: DataPlane;
  readonly #instance: RoutableInstance;
  readonly #log: Logger;
  readonly #serving = new Map<string, ServingPool[]>();
  #applyChain: Promise<void> = Promise.resolve();

  constructor(opts: {
    config: () => LoadedConfig;
    dataPlane: DataPlane;
    instance: RoutableInstance;
    logger: Logger;
  }) {
    this.#cfg = opts.config;
    this.#plane = opts.dataPlane;
    this.#instance = opts.instance;
    this.#log = opts.logger;
  }

  serving(environment: string): ServingPool[] {
    return this.#serving.get(environment) ?? [];
  }

  /**
   * Starts from what a running data plane already serves (a restarted control plane), without
   * applying anything: until releases and recovery say otherwise, every environment keeps it.
   */
  seed(served: DesiredState): void {
    for (const route of served.environments) {
      this.#serving.set(
        route.environment,
        route.pools.map((p) => ({
          version: p.version,
          weight: p.weight,
          instanceIds: p.backends.map((b) => b.id),
        })),
      );
    }
  }

  /** Sets which instances serve an environment; only the routable ones receive traffic. */
  setServing(environment: string, pools: ServingPool[]): Promise<void> {
    this.#serving.set(environment, pools);
    return this.apply();
  }

  /** Takes instances out of every environment's pools. */
  withdraw(ids: readonly string[]): Promise<void> {
    for (const [env, pools] of this.#serving) {
      this.#serving.set(
        env,
        pools.map((p) => ({ ...p, instanceIds: p.instanceIds.filter((i) => !ids.includes(i)) })),
      );
    }
    return this.apply();
  }

  /** The data plane's desired state: one route per configured environment, routable backends only. */
  desiredState(): DesiredState {
    const { config } = this.#cfg();
    return {
      environments: Object.values(config.environments).map((env) => {
        const sticky = env.strategy.type === 'canary' ? env.strategy.canary.sticky : undefined;
        return {
          environment: env.name,
          listen: env.listen,
          pools: this.#pools(env),
          ...(sticky ? { sticky } : {}),
        };
      }),
    };
  }

  /** Hands the current desired state to the data plane (after every earlier one). */
  apply(): Promise<void> {
    // Serialised so that a slower, older apply never overwrites a newer table.
    const next = this.#applyChain.then(() => this.#plane.apply(this.desiredState()));
    this.#applyChain = next.catch((err) => this.#log.error({ err }, 'data plane apply failed'));
    return next;
  }

  #pools(env: EnvironmentConfig): Pool[] {
    return this.serving(env.name).map((p) => ({
      version: p.version,
      weight: p.weight,
      backends: p.instanceIds.flatMap((id) => {
        const i = this.#instance(id);
        return i?.routable ? [i.backend] : [];
      }),
    }));
  }
}
