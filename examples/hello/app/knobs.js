// Knobs that make a build misbehave on purpose, so a release can be tried against a bad version.
// Each knob comes from an environment variable and, overriding it, from `hello.json` beside this
// file: a "bad build" is a copy of this directory plus a hello.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const KNOB_FILE = 'hello.json';

const KNOBS = {
  error_rate: { env: 'HELLO_ERROR_RATE', parse: parseRate, fallback: 0 },
  // A build that lost its data: it answers 404 where the stable one finds what was asked for.
  not_found_rate: { env: 'HELLO_NOT_FOUND_RATE', parse: parseRate, fallback: 0 },
  latency_ms: { env: 'HELLO_LATENCY_MS', parse: parseMs, fallback: 0 },
  fail_readiness: { env: 'HELLO_FAIL_READINESS', parse: parseBool, fallback: false },
  crash_on_start: { env: 'HELLO_CRASH_ON_START', parse: parseBool, fallback: false },
  startup_delay_ms: { env: 'HELLO_STARTUP_DELAY_MS', parse: parseMs, fallback: 0 },
  // null: liveness never fails.
  fail_liveness_after_ms: { env: 'HELLO_FAIL_LIVENESS_AFTER_MS', parse: parseMs, fallback: null },
};

export class KnobError extends Error {}

/**
 * Reads the knobs from `env` and `<dir>/hello.json`. Throws KnobError naming the variable or key
 * when a value is malformed, so a typo never silently runs a healthy build.
 */
export function loadKnobs(dir, env) {
  const fromFile = readKnobFile(join(dir, KNOB_FILE));
  const knobs = {};
  const sources = {};
  for (const [name, knob] of Object.entries(KNOBS)) {
    if (fromFile[name] !== undefined) {
      knobs[name] = parseValue(`${KNOB_FILE}: ${name}`, knob.parse, fromFile[name]);
      sources[name] = KNOB_FILE;
    } else if (env[knob.env] !== undefined && env[knob.env] !== '') {
      knobs[name] = parseValue(knob.env, knob.parse, env[knob.env]);
      sources[name] = knob.env;
    } else {
      knobs[name] = knob.fallback;
    }
  }
  return { knobs, sources };
}

function readKnobFile(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return {};
    throw new KnobError(`cannot read ${KNOB_FILE}: ${err.message}`);
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new KnobError(`${KNOB_FILE} is not valid JSON (${err.message}); fix or delete it`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new KnobError(`${KNOB_FILE} must hold a JSON object such as { "error_rate": 0.5 }`);
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(KNOBS, key)) {
      throw new KnobError(`${KNOB_FILE}: unknown key "${key}"; known keys: ${Object.keys(KNOBS).join(', ')}`);
    }
  }
  return value;
}

function parseValue(where, parse, raw) {
  const parsed = parse(raw);
  if (parsed.error) throw new KnobError(`${where}: ${parsed.error}, got ${JSON.stringify(raw)}`);
  return parsed.value;
}

function parseRate(raw) {
  const expected = 'expected a share from 0 to 1 or a percentage such as "5%"';
  let n = raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    n = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text);
    if (text === '' || text === '%') n = Number.NaN;
  }
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) return { error: expected };
  return { value: n };
}

function parseMs(raw) {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    return { error: 'expected a whole number of milliseconds (0 or more)' };
  }
  return { value: n };
}

function parseBool(raw) {
  if (typeof raw === 'boolean') return { value: raw };
  const text = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (['1', 'true', 'yes', 'on'].includes(text)) return { value: true };
  if (['0', 'false', 'no', 'off'].includes(text)) return { value: false };
  return { error: 'expected true or false' };
}
