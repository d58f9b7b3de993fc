// An environment's `secrets: [NAME]` as instance environment variables, and the names still unset
// (a release refuses to start instances without them).
import { describeScope } from './names.ts';

export function pickSecrets(
  names: readonly string[],
  values: Readonly<Record<string, string>>,
): { env: Record<string, string>; missing: string[] } {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of names) {
    const value = values[name];
    if (value === undefined) missing.push(name);
    else env[name] = value;
  }
  return { env, missing };
}

/** The failure message of a release whose environment lists secrets that are not set. */
export function describeMissingSecrets(environment: string, missing: readonly string[]): string {
  const list = missing.join(', ');
  const commands = missing.map((n) => `gantry secrets set ${environment} ${n}`).join('; ');
  return (
    `${describeScope(environment)} lists secret${missing.length > 1 ? 's' : ''} ${list} in gantry.yaml, ` +
    `but ${missing.length > 1 ? 'they are' : 'it is'} not set: run \`${commands}\`, then release again`
  );
}
