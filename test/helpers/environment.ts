// An environment's config as the loader would hand it over, for tests of what reads one (the
// release policy): production on 127.0.0.1:8080, one instance, rolling, no rules unless given.
import type { EnvironmentConfig } from '../../src/config/types.ts';

export function environmentConfig(more: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return {
    name: 'production',
    listen: '127.0.0.1:8080',
    instances: 1,
    strategy: { type: 'rolling', max_surge: 1 },
    env: {},
    secrets: [],
    windows: [],
    freezes: [],
    ...more,
  };
}
