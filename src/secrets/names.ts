// What a secret may be called and hold. Names are environment variable names (the config's rule for
// `secrets: [NAME]`); values are text an instance's environment can carry. No message here ever
// quotes a value.
import { SECRET_NAME_PATTERN } from '../config/secret-refs.ts';
import { GantryError } from '../lib/errors.ts';

/** The environment of global secrets: those `${secret:NAME}` references in gantry.yaml resolve from. */
export const GLOBAL_SCOPE = '*';
export const MAX_NAME_LENGTH = 128;
export const MAX_VALUE_BYTES = 64 * 1024;

export function describeScope(environment: string): string {
  return environment === GLOBAL_SCOPE ? 'global' : environment;
}

export function checkSecretName(name: string): void {
  if (name.length > MAX_NAME_LENGTH || !SECRET_NAME_PATTERN.test(name)) {
    throw new GantryError(
      'BAD_REQUEST',
      `the secret name is not an environment variable name: letters, digits and _, not starting with a digit (at most ${MAX_NAME_LENGTH})`,
      // Not quoted: a value pasted where the name goes is still a secret.
      { hint: 'Secrets reach instances as environment variables, so their names follow the same rule.' },
    );
  }
}

/** The value of a request body `{ value }`, checked without ever echoing it. */
export function readSecretValue(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GantryError('BAD_REQUEST', 'expected a JSON object {"value": "…"} as the body');
  }
  // Not even the other keys are named: a value pasted in the wrong place is still a secret.
  const others = Object.keys(body).filter((k) => k !== 'value').length;
  if (others > 0) {
    throw new GantryError(
      'BAD_REQUEST',
      `the body has ${others} key(s) besides "value": send only {"value": "…"}`,
    );
  }
  const value = (body as { value?: unknown }).value;
  if (typeof value !== 'string') {
    throw new GantryError(
      'BAD_REQUEST',
      `value: expected a string, got ${value === undefined ? 'nothing' : value === null ? 'null' : typeof value}`,
    );
  }
  return checkSecretValue(value);
}

export function checkSecretValue(value: string): string {
  if (value.length === 0) {
    throw new GantryError('BAD_REQUEST', 'value: the secret is empty', {
      hint: 'To remove a secret, use `gantry secrets rm`.',
    });
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new GantryError(
      'BAD_REQUEST',
      `value: the secret has ${bytes} bytes, more than the ${MAX_VALUE_BYTES} an environment variable may reasonably carry`,
    );
  }
  if (value.includes('\0')) {
    throw new GantryError(
      'BAD_REQUEST',
      'value: the secret contains a NUL byte, which an environment variable cannot hold',
    );
  }
  return value;
}
