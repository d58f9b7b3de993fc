// Masking known secret values in text that leaves Gantry (instance output in release events, check
// messages): the value as written and as JSON would escape it, longest first.

export const REDACTED_MARK = '[redacted]';
/** Shorter values would mask ordinary words; a secret this short cannot be masked anyway. */
export const MIN_MASKED_LENGTH = 4;

export type TextRedactor = (text: string) => string;

export function createTextRedactor(values: readonly string[]): TextRedactor {
  const needles = [
    ...new Set(
      values.filter((v) => v.length >= MIN_MASKED_LENGTH).flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]),
    ),
  ].sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const n of needles) if (out.includes(n)) out = out.replaceAll(n, REDACTED_MARK);
    return out;
  };
}

/** A redactor over a changing list, rebuilt only when the list (by identity) changes. */
export function cachedRedactor(values: () => readonly string[]): TextRedactor {
  let forValues: readonly string[] | undefined;
  let redactor: TextRedactor = (t) => t;
  return (text) => {
    const v = values();
    if (v !== forValues) {
      forValues = v;
      redactor = createTextRedactor(v);
    }
    return redactor(text);
  };
}
