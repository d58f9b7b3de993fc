// The one place a RequestRecord is built and handed to the sink (exactly once per request).
import type { BackendState } from './backend-registry.ts';
import type { RouteOwner } from './route-key.ts';
import type { MetricsSink, RequestRecord } from './types.ts';

/** `start` is a performance.now() reading taken when the request arrived; `at` is Date.now() then. */
export function recordRequest(
  sink: MetricsSink,
  owner: RouteOwner,
  backend: BackendState | undefined,
  method: string,
  status: number,
  start: number,
  at: number,
  error: string | undefined,
): void {
  const r: RequestRecord = {
    environment: owner.environment,
    version: backend ? backend.version : '',
    instance: backend ? backend.id : '',
    method,
    status,
    latencyMs: performance.now() - start,
    at,
    error,
  };
  if (owner.service !== undefined) r.service = owner.service;
  try {
    sink.record(r);
  } catch {
    // A failing metrics consumer must not break proxying; it reports its own errors.
  }
}
