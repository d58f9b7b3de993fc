// The webhook secret: triggers.github.secret with its `${secret:NAME}` references resolved. Errors
// name the config key and the secret's name, never a value.
import { listSecretReferences, replaceSecretReferences } from '../config/secret-refs.ts';
import { GantryError } from '../lib/errors.ts';

export type SecretLookup = (name: string) => string | undefined | Promise<string | undefined>;

export async function resolveWebhookSecret(
  configured: string | undefined,
  lookup: SecretLookup,
): Promise<string> {
  if (configured === undefined) {
    throw new GantryError(
      'WEBHOOK_NOT_CONFIGURED',
      'GitHub webhooks are not enabled: gantry.yaml has no triggers.github.secret',
    );
  }
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const name of new Set(listSecretReferences(configured))) {
    const value = await lookup(name);
    if (value) values.set(name, value);
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new GantryError(
      'WEBHOOK_SECRET_MISSING',
      `triggers.github.secret refers to the secret ${missing.join(', ')}, which is not set on this server`,
    );
  }
  const secret = replaceSecretReferences(configured, (name) => values.get(name) ?? '');
  if (secret === '') {
    throw new GantryError('WEBHOOK_SECRET_MISSING', 'triggers.github.secret is empty');
  }
  return secret;
}
