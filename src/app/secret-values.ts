// The values that must never leave Gantry unmasked: every secret in the store, and the server's
// environment variables that `${secret:NAME}` references in gantry.yaml fall back to, each in every
// spelling output may use (src/secrets/spellings.ts).
import { listSecretReferences } from '../config/secret-refs.ts';
import type { LoadedConfig } from '../config/types.ts';
import { spellingsOf } from '../secrets/spellings.ts';

/** What the secrets store offers here (SecretService). */
export interface SecretValueSource {
  /** Changes whenever a value does. */
  readonly version: number;
  allValues(): readonly string[];
  /** A `${secret:NAME}` reference's value: the global secret, else the server's variable. */
  lookup(name: string): string | undefined;
}

export function secretValues(
  config: LoadedConfig,
  env: NodeJS.ProcessEnv = process.env,
  secrets?: SecretValueSource,
): string[] {
  const values = new Set(secrets?.allValues() ?? []);
  for (const name of new Set(listSecretReferences(JSON.stringify(config.config)))) {
    const value = secrets ? secrets.lookup(name) : env[name];
    if (value) values.add(value);
  }
  // Every spelling output may use: a line of a multi-line value, the JSON escapes of other languages.
  return [...new Set([...values].flatMap(spellingsOf))];
}

/**
 * secretValues, computed again only when the config or a secret changes: the log service rebuilds
 * its redactor whenever it gets a different array, and asks for every line.
 */
export function secretValuesCache(config: () => LoadedConfig, secrets?: SecretValueSource): () => string[] {
  let forConfig: LoadedConfig | undefined;
  let forVersion = -1;
  let values: string[] = [];
  return () => {
    const c = config();
    const version = secrets?.version ?? 0;
    if (c !== forConfig || version !== forVersion) {
      const next = secretValues(c, process.env, secrets);
      forConfig = c;
      forVersion = version;
      if (next.length !== values.length || next.some((v, i) => v !== values[i])) values = next;
    }
    return values;
  };
}
