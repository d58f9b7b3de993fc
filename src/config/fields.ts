// Building blocks of the gantry.yaml schema: mappings that reject unknown keys, names, strings
// with or without secret references, and the unit conversions of units.ts as zod types whose
// input side (what the JSON Schema describes) is the text a user writes.
import { z } from 'zod';
import { parseHostPort } from './address.ts';
import { hostNameProblem, normalizeHostName } from './host-names.ts';
import {
  findSecretReferenceProblem,
  hasSecretReference,
  SECRET_IN_ENV_MESSAGE,
  SECRET_NOT_ALLOWED_MESSAGE,
} from './secret-refs.ts';
import { suggest } from './suggest.ts';
import {
  DURATION_PATTERN,
  MAX_DURATION_TEXT,
  PER_SECOND_PATTERN,
  PERCENT_PATTERN,
  parseDuration,
  parsePerSecond,
  parseRate,
  parseSize,
  SIZE_PATTERN,
} from './units.ts';

export const MISSING = 'missing required key';

type IssueMessage = string | ((input: unknown) => string);

/** An error function that says "missing required key" when the value is absent. */
export function expecting(message: IssueMessage): z.core.$ZodErrorMap {
  return (iss) => {
    if (iss.input === undefined) return MISSING;
    return typeof message === 'string' ? message : message(iss.input);
  };
}

export function describeKind(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'boolean') return 'true/false';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}

function expectedKind(what: string): z.core.$ZodErrorMap {
  return expecting((input) => `expected ${what}, got ${describeKind(input)}`);
}

/**
 * A mapping that rejects unknown keys. zod raises one issue for all unknown keys of a mapping;
 * its message holds one line per key, in the order of `keys`, which zod-issues.ts splits back apart.
 */
export function mapping<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        return iss.keys.map((key) => `unknown key '${key}'${suggest(key, known)}`).join('\n');
      }
      return expectedKind('a mapping')(iss);
    },
  });
}

export function list<T extends z.ZodType>(item: T) {
  return z.array(item, { error: expectedKind('a list') });
}

export function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: expecting((input) => {
      const hint = typeof input === 'string' ? suggest(input, values) : '';
      return `expected one of ${values.join(', ')}${hint}`;
    }),
  });
}

export function bool() {
  return z.boolean({ error: expectedKind('true or false') });
}

/** A whole number in [min, max]. */
export function intIn(min: number, max = Number.MAX_SAFE_INTEGER, message?: string) {
  const text =
    message ??
    (max === Number.MAX_SAFE_INTEGER
      ? `expected a whole number of at least ${min}`
      : `expected a whole number from ${min} to ${max}`);
  const error = expecting(text);
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A non-empty string that must not hold secret references. */
export function text(what = 'a string') {
  return z
    .string({ error: expectedKind(what) })
    .min(1, { error: `expected ${what}, got an empty string` })
    .refine((value) => !hasSecretReference(value), { error: SECRET_NOT_ALLOWED_MESSAGE });
}

/** A non-empty string that is a secret: it may hold `${secret:NAME}` references. */
export function secretText(what = 'a string') {
  return z
    .string({ error: expectedKind(what) })
    .min(1, { error: `expected ${what}, got an empty string` })
    .superRefine((value, ctx) => {
      const problem = findSecretReferenceProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

/** A string matching `pattern`, with one message for every way of getting it wrong. */
export function textMatching(pattern: RegExp, message: string) {
  const error = expecting(message);
  return z.string({ error }).regex(pattern, { error });
}

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Service and environment names: they become host, container and Kubernetes names. A leading
 * letter also keeps JavaScript from moving number-like keys first, so file order holds.
 */
export function dnsName(what: string) {
  return textMatching(
    DNS_LABEL,
    `expected ${what}: lowercase letters, digits and dashes, starting with a letter, like shop-api`,
  );
}

/** Names of checks, alarms, notify groups, synthetics and log patterns. */
export function identifier(what: string) {
  return textMatching(IDENTIFIER, `expected ${what}: letters, digits, '-', '_' or '.'`);
}

export function envVarName() {
  return textMatching(
    ENV_VAR_NAME,
    'expected an environment variable name: letters, digits and _, not starting with a digit',
  );
}

/** An env value: numbers and true/false are written as text, secret references are refused. */
export function envValue() {
  return z
    .union([z.string(), z.number(), z.boolean()], { error: expectedKind('a string') })
    .transform((value) => String(value))
    .refine((value) => !hasSecretReference(value), { error: SECRET_IN_ENV_MESSAGE });
}

export function envMap() {
  return z.record(envVarName(), envValue(), { error: expectedKind('a mapping of NAME: value') });
}

export function listenAddress() {
  const message = 'expected host:port, like 127.0.0.1:8080';
  const error = expecting(message);
  return z
    .string({ error })
    .refine((value) => parseHostPort(value) !== undefined, { error: `${message} (port 0 to 65535)` });
}

/** A host name or a leading-label wildcard (`*.example.org`), lower-cased, without a final dot. */
export function hostName() {
  return z
    .string({ error: expecting('expected a host name, like api.example.com or *.example.org') })
    .superRefine((value, ctx) => {
      const problem = hostNameProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `expected a host name: ${problem}` });
    })
    .transform(normalizeHostName);
}

export function httpPath() {
  return textMatching(/^\/\S*$/, 'expected a URL path starting with /, like /health');
}

export function globs(what: string) {
  const glob = text(what);
  return z.union([glob, list(glob).min(1, { error: `expected at least one ${what}` })], {
    error: expectedKind(`${what} or a list of them`),
  });
}

const DURATION_MESSAGE = 'expected a duration like 500ms, 10s, 5m, 1h or 1d';

/** Milliseconds, written `500ms|10s|5m|1h|1d` (or sums like `1h30m`); greater than 0 unless `zero`. */
export function duration(opts: { zero?: boolean } = {}) {
  const error = expecting((input) =>
    typeof input === 'number'
      ? `${DURATION_MESSAGE}, got the bare number ${input}: add a unit, like ${input}s or ${input}ms`
      : DURATION_MESSAGE,
  );
  return z
    .string({ error })
    .regex(new RegExp(DURATION_PATTERN), { error })
    .refine((value) => parseDuration(value) !== undefined, {
      error: `${DURATION_MESSAGE}, ${MAX_DURATION_TEXT}`,
    })
    .refine((value) => opts.zero || parseDuration(value) !== 0, {
      error: `${DURATION_MESSAGE}, greater than 0`,
    })
    .transform((value) => parseDuration(value) ?? 0);
}

const RATE_MESSAGE = 'expected a rate: a percentage like 1% or a fraction from 0 to 1';

/** A fraction from 0 to 1, written `1%` or `0.01`. */
export function rate() {
  const error = expecting(RATE_MESSAGE);
  return z
    .union(
      [
        z.number({ error }).min(0, { error }).max(1, { error }),
        z
          .string({ error })
          .regex(new RegExp(PERCENT_PATTERN), { error })
          .refine((value) => parseRate(value) !== undefined, { error }),
      ],
      { error },
    )
    .transform((value) => parseRate(value) ?? 0);
}

const THRESHOLD_PATTERN = `^(\\d+(\\.\\d+)?%|${DURATION_PATTERN.slice(1, -1)})$`;

/** An alarm threshold: a number, a percentage (→ fraction) or a duration (→ milliseconds). */
export function threshold() {
  const error = expecting('expected a number, a percentage like 1% or a duration like 500ms');
  return z
    .union([z.number({ error }), z.string({ error }).regex(new RegExp(THRESHOLD_PATTERN), { error })], {
      error,
    })
    .transform((value) => {
      if (typeof value === 'number') return value;
      return value.endsWith('%')
        ? (parseRate(value) ?? Number(value.slice(0, -1)) / 100)
        : (parseDuration(value) ?? 0);
    });
}

/** Bytes, written `512MB`, `2GB` (binary multiples). */
export function size() {
  const error = expecting('expected a size like 512MB or 2GB');
  return z
    .string({ error })
    .regex(new RegExp(SIZE_PATTERN), { error })
    .transform((value) => parseSize(value) ?? 0);
}

/** Requests per second, written `100/s`, `600/m` or as a number. */
export function perSecond() {
  const error = expecting('expected a rate like 100/s, 600/m or a number of requests per second');
  return z
    .union(
      [
        z.number({ error }).positive({ error }),
        z.string({ error }).regex(new RegExp(PER_SECOND_PATTERN), { error }),
      ],
      {
        error,
      },
    )
    .refine((value) => parsePerSecond(value) !== undefined, { error })
    .transform((value) => parsePerSecond(value) ?? 0);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** HTTP headers; with `secret`, values may hold `${secret:NAME}` references. */
export function headerMap(opts: { secret?: boolean } = {}) {
  const name = textMatching(HEADER_NAME, 'expected an HTTP header name, like X-Api-Key');
  const value = opts.secret ? secretText('a header value') : text('a header value');
  return z.record(name, value, { error: expectedKind('a mapping of header: value') });
}

/**
 * Runs an object-level rule once the fields themselves are valid; unknown keys do not stop it,
 * so a file with a typo in one key still gets its other problems reported in the same run.
 */
export const whenFieldsValid = {
  when: (payload: z.core.ParsePayload): boolean =>
    payload.issues.every((issue) => issue.code === 'unrecognized_keys'),
};

/** A custom issue pointed at a key rather than at its value (see load.ts). */
export function keyIssue(path: PropertyKey[], message: string) {
  return { code: 'custom' as const, path, message, params: { target: 'key' } };
}
