// Masks known secret values in a captured line before anything stores or shows it: in the raw text
// (as written and as JSON would escape it) and in every string of the parsed message and fields.
import type { ParsedLine } from './types.ts';

export const REDACTED = '[redacted]';
/** Shorter values would mask ordinary words all over the logs; secrets are longer than this. */
export const MIN_SECRET_LENGTH = 4;

export interface Redactor {
  text(s: string): string;
  parsed(p: ParsedLine): ParsedLine;
}

export function createRedactor(secrets: readonly string[]): Redactor {
  const needles = [
    ...new Set(
      secrets
        .filter((s) => s.length >= MIN_SECRET_LENGTH)
        .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]),
    ),
  ].sort((a, b) => b.length - a.length);
  const text = (s: string): string => {
    let out = s;
    for (const n of needles) if (out.includes(n)) out = out.replaceAll(n, REDACTED);
    return out;
  };
  const value = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(value);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), value(x)]));
    }
    return v;
  };
  return {
    text: needles.length === 0 ? (s) => s : text,
    parsed: (p) =>
      needles.length === 0
        ? p
        : {
            level: p.level,
            message: text(p.message),
            fields: p.fields === null ? null : (value(p.fields) as Record<string, unknown>),
          },
  };
}
