// `${secret:NAME}` references: where they may appear and how they are spelt. The secrets module
// resolves them; the config only checks them, so a value never has to be written into gantry.yaml.

const SECRET_REF = /\$\{secret:([^}]*)\}/g;
const SECRET_REF_START = `\${secret:`;
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The config keys whose values are secrets, so they may hold `${secret:NAME}` references. */
export const SECRET_FIELDS = [
  'triggers.github.secret',
  'smtp.password',
  'runtime.docker.registries[].password',
  'notify.*[].webhook_url (slack)',
  'notify.*[].routing_key (pagerduty)',
  'notify.*[].url, .secret, .headers (webhook)',
] as const;

export const SECRET_NOT_ALLOWED_MESSAGE =
  `\`\${secret:…}\` references are allowed only in secret fields (triggers.github.secret, smtp.password, ` +
  'runtime.docker.registries[].password, ' +
  "and a notify channel's webhook_url, routing_key, url, secret or headers)";

export const SECRET_IN_ENV_MESSAGE =
  'a secret reference is not allowed in env: use `secrets: [NAME]` to inject a secret into the environment';

export function hasSecretReference(text: string): boolean {
  return text.includes(SECRET_REF_START);
}

/** Names referenced by `${secret:NAME}` in a value, in order of appearance. */
export function listSecretReferences(text: string): string[] {
  return [...text.matchAll(SECRET_REF)].map((match) => match[1] ?? '');
}

/** Why the references in a secret field are malformed, or undefined when they are fine. */
export function findSecretReferenceProblem(text: string): string | undefined {
  const names = listSecretReferences(text);
  const bad = names.find((name) => !SECRET_NAME_PATTERN.test(name));
  if (bad !== undefined) {
    return `expected a secret reference like \${secret:NAME}, where NAME has letters, digits and _ and does not start with a digit`;
  }
  const opened = text.split(SECRET_REF_START).length - 1;
  if (opened !== names.length) return `unterminated secret reference: write \${secret:NAME}`;
  return undefined;
}

/** Replaces every reference by the value `lookup` returns for its name. */
export function replaceSecretReferences(text: string, lookup: (name: string) => string): string {
  return text.replace(SECRET_REF, (_, name: string) => lookup(name));
}
