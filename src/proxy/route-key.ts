// The data plane's name for a route: `service/environment`, or the bare environment when the
// route names no service (a single-service server). Listeners, addresses() and retries are keyed
// by it, so two services may each have an environment called production.

export function routeKey(service: string | undefined, environment: string): string {
  return service === undefined ? environment : `${service}/${environment}`;
}

/** What a request record and the proxy's logs name a route by. */
export interface RouteOwner {
  service?: string;
  environment: string;
}

export function routeKeyOf(owner: RouteOwner): string {
  return routeKey(owner.service, owner.environment);
}
