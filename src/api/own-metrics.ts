// Gantry's own state for GET /metrics: instances by readiness, releases in flight, restarts.
import type { LoadedConfig } from '../config/types.ts';
import type { ExtraMetric } from '../metrics/prometheus.ts';
import type { Fleet } from '../rollout/fleet.ts';
import type { Store } from '../store/types.ts';

export async function gantryMetrics(deps: {
  config: () => LoadedConfig;
  fleet: Fleet;
  store: Store;
}): Promise<ExtraMetric[]> {
  const { config } = deps.config();
  const instances = new Map<string, { labels: Record<string, string>; value: number }>();
  const restarts: ExtraMetric['samples'] = [];
  for (const m of deps.fleet.list()) {
    const labels = { environment: m.environment, version: m.version, ready: String(m.ready && !m.stopping) };
    const key = JSON.stringify(labels);
    const entry = instances.get(key) ?? { labels, value: 0 };
    entry.value++;
    instances.set(key, entry);
    restarts.push({ labels: { environment: m.environment, instance: m.id }, value: m.info.restarts });
  }
  const active = await deps.store.releases.listActive(config.service);
  return [
    {
      name: 'gantry_instances',
      help: 'Instances supervised by Gantry, by environment, version and readiness.',
      type: 'gauge',
      samples: [...instances.values()],
    },
    {
      name: 'gantry_instance_restarts_total',
      help: 'Restarts of each running instance (crashes and liveness failures).',
      type: 'counter',
      samples: restarts,
    },
    {
      name: 'gantry_release_in_progress',
      help: '1 while an environment has a release in flight.',
      type: 'gauge',
      samples: Object.keys(config.environments).map((environment) => ({
        labels: { environment },
        value: active.some((r) => r.environment === environment) ? 1 : 0,
      })),
    },
  ];
}
