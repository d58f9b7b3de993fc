// Silences: Alertmanager's matchers on alert labels (exact, or a regular expression anchored at both
// ends), active between startsAt and endsAt. Pure functions; the notifier stores the records.
import { MAX_DURATION_TEXT, parseDuration } from '../config/units.ts';
import { GantryError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import type { SilenceMatcher, SilenceRecord } from '../store/types.ts';
import type { SilenceInput, SilenceState, SilenceView } from './types.ts';

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_MATCHERS = 20;
const MAX_VALUE = 1024;
const MAX_COMMENT = 2000;

export function silenceState(s: Pick<SilenceRecord, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (Date.parse(s.endsAt) <= now) return 'expired';
  if (Date.parse(s.startsAt) > now) return 'pending';
  return 'active';
}

export function viewSilence(s: SilenceRecord, now: number): SilenceView {
  return { ...s, state: silenceState(s, now) };
}

export function matcherMatches(m: SilenceMatcher, labels: Record<string, string>): boolean {
  const value = labels[m.name] ?? '';
  return m.isRegex ? anchored(m.value).test(value) : value === m.value;
}

/** The first silence active at `now` whose every matcher matches the labels. */
export function findSilence(
  silences: SilenceRecord[],
  labels: Record<string, string>,
  now: number,
): SilenceRecord | undefined {
  return silences.find(
    (s) => silenceState(s, now) === 'active' && s.matchers.every((m) => matcherMatches(m, labels)),
  );
}

/** Checks a request and turns it into a record; a mistake is a BAD_REQUEST that says how to fix it. */
export function buildSilence(input: SilenceInput, now: number): SilenceRecord {
  const matchers = checkMatchers(input.matchers);
  const startsAt = input.startsAt === undefined ? now : parseInstant('startsAt', input.startsAt);
  const endsAt = endOf(input, Math.max(startsAt, now));
  if (endsAt <= now) badRequest(`endsAt (${new Date(endsAt).toISOString()}) must be in the future`);
  if (endsAt <= startsAt) badRequest('endsAt must be after startsAt');
  const comment = input.comment.trim();
  if (!comment) badRequest('comment: say why the alerts are silenced (e.g. "planned maintenance")');
  if (comment.length > MAX_COMMENT) badRequest(`comment: at most ${MAX_COMMENT} characters`);
  const at = new Date(now).toISOString();
  return {
    id: newId('sil'),
    matchers,
    startsAt: new Date(startsAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    comment,
    createdBy: input.createdBy?.trim() || null,
    createdAt: at,
    updatedAt: at,
  };
}

function checkMatchers(input: SilenceInput['matchers']): SilenceMatcher[] {
  if (input.length === 0) badRequest('matchers: give at least one, e.g. alertname=high-5xx');
  if (input.length > MAX_MATCHERS) badRequest(`matchers: at most ${MAX_MATCHERS}`);
  const matchers = input.map((m, i) => {
    if (!LABEL_NAME.test(m.name)) {
      badRequest(`matchers[${i}].name: "${m.name}" is not a label name (letters, digits and _)`);
    }
    if (m.value.length > MAX_VALUE) badRequest(`matchers[${i}].value: at most ${MAX_VALUE} characters`);
    const isRegex = m.isRegex === true;
    if (isRegex) {
      try {
        anchored(m.value);
      } catch (err) {
        badRequest(`matchers[${i}].value: not a valid regular expression (${(err as Error).message})`);
      }
    }
    return { name: m.name, value: m.value, isRegex };
  });
  // Like Alertmanager: a silence whose matchers all match the empty string would silence everything.
  if (matchers.every((m) => matcherMatches(m, {}))) {
    badRequest('matchers: at least one must not match an empty value, or the silence would mute every alert');
  }
  return matchers;
}

function endOf(input: SilenceInput, from: number): number {
  if (input.endsAt !== undefined && input.duration !== undefined) {
    badRequest('give either endsAt or duration, not both');
  }
  if (input.endsAt !== undefined) return parseInstant('endsAt', input.endsAt);
  if (input.duration === undefined) badRequest('give endsAt (ISO-8601) or duration (e.g. 1h)');
  const ms = parseDuration(input.duration);
  if (ms === undefined || ms <= 0) {
    badRequest(
      `duration: expected a duration like 30m, 1h or 2d (${MAX_DURATION_TEXT}), got "${input.duration}"`,
    );
  }
  return from + ms;
}

function parseInstant(field: string, text: string): number {
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (Number.isNaN(t)) badRequest(`${field}: expected ISO-8601 with a time zone, got "${text}"`);
  return t;
}

const compiled = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

function badRequest(message: string): never {
  throw new GantryError('BAD_REQUEST', `invalid silence: ${message}`, {
    hint: 'Example: {"matchers":[{"name":"alertname","value":"high-5xx"}],"duration":"1h","comment":"deploy"}',
  });
}
