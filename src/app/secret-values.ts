// The values of the secrets gantry.yaml refers to (`${secret:NAME}`), so that logs can mask them.
// Until the secrets store exists they come from the server's environment.
import { listSecretReferences } from '../config/secret-refs.ts';
import type { LoadedConfig } from '../config/types.ts';

export function secretValues(config: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const names = new Set(listSecretReferences(JSON.stringify(config.config)));
  const values: string[] = [];
  for (const name of names) {
    const value = env[name];
    if (value) values.push(value);
  }
  return values;
}
