// One data plane for every service of a server. Each service's fleet applies only its own routes
// through its scope; the scope tags them with the service, and the union of every scope's latest
// routes is what reaches the shared data plane (whose apply replaces the whole table). Addresses
// come back under the service's own environment names. ACME HTTP-01 answers are merged the same way
// (tokens are random: the services' answers never collide).
import { ApplyError } from './data-plane.ts';
import { routeKey } from './route-key.ts';
import type { DataPlane, DesiredState, EnvironmentRoute } from './types.ts';

export interface ServiceScopes {
  /** The data plane as one service sees it: its routes only, under its environment names. */
  scope(service: string): DataPlane;
  /** Drops a service's routes (its listeners close); the other services' stay as they are. */
  forget(service: string): Promise<void>;
  /** What the running data plane served for the service when the scopes were made, or null. */
  served(service: string): DesiredState | null;
}

/**
 * `served` is what an adopted data plane process serves: each service's routes start from it, so a
 * service that applies first does not take away the listeners of one that has not applied yet.
 */
export function createServiceScopes(shared: DataPlane, served: DesiredState | null = null): ServiceScopes {
  const routes = new Map<string, EnvironmentRoute[]>();
  const challenges = new Map<string, Record<string, string>>();
  for (const r of served?.environments ?? []) {
    if (r.service !== undefined) routes.set(r.service, [...(routes.get(r.service) ?? []), r]);
  }
  const applyUnion = () => {
    const answers = challenges.size > 0 ? Object.assign({}, ...challenges.values()) : undefined;
    return shared.apply({
      environments: [...routes.values()].flat(),
      ...(answers ? { acmeChallenges: answers } : {}),
    });
  };
  const drop = (service: string) => {
    const had = routes.delete(service);
    return challenges.delete(service) || had;
  };

  return {
    scope(service) {
      // Listen errors name the environment only: those of this service's environments are its own.
      const own = (environment: string) =>
        (routes.get(service) ?? []).some((r) => r.environment === environment);
      return {
        async apply(desired) {
          routes.set(
            service,
            desired.environments.map((r) => ({ ...r, service })),
          );
          if (desired.acmeChallenges) challenges.set(service, desired.acmeChallenges);
          else challenges.delete(service);
          try {
            await applyUnion();
          } catch (err) {
            // Another service's listener failing is that service's business, not this one's.
            if (!(err instanceof ApplyError)) throw err;
            const mine = err.failures.filter((f) => own(f.environment));
            if (mine.length > 0) throw new ApplyError(mine);
          }
        },
        drain: (ids, timeoutMs) => shared.drain(ids, timeoutMs),
        // Instance ids are unique across services: the shared map answers for each.
        inFlight: () => shared.inFlight(),
        async addresses() {
          const all = await shared.addresses();
          const out = new Map<string, { host: string; port: number }>();
          for (const r of routes.get(service) ?? []) {
            const a = all.get(routeKey(service, r.environment));
            if (a) out.set(r.environment, a);
          }
          return out;
        },
        close: async () => {
          if (drop(service)) await applyUnion();
        },
      };
    },
    async forget(service) {
      if (drop(service)) await applyUnion();
    },
    served(service) {
      if (!served) return null;
      return { environments: served.environments.filter((r) => r.service === service) };
    },
  };
}
