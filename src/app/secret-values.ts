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

/**
 * secretValues, computed again only when the config or the values change: the log service
 * rebuilds its redactor whenever it gets a different array, and asks for every line.
 */
export function secretValuesCache(config: () => LoadedConfig): () => string[] {
  let forConfig: LoadedConfig | undefined;
  let values: string[] = [];
  let checkedAt = 0;
  return () => {
    const c = config();
    const now = Date.now();
    if (c !== forConfig || now - checkedAt > 5000) {
      const next = secretValues(c);
      checkedAt = now;
      forConfig = c;
      if (next.length !== values.length || next.some((v, i) => v !== values[i])) values = next;
    }
    return values;
  };
}
