// Masking known secret values in text that leaves Gantry (instance output in release events, check
// messages): the logs' redactor (src/logs/redact.ts), which masks the value as written and as JSON
// would escape it, longest first.
import { createRedactor } from '../logs/redact.ts';

export type TextRedactor = (text: string) => string;

/** A redactor over a changing list, rebuilt only when the list (by identity) changes. */
export function cachedRedactor(values: () => readonly string[]): TextRedactor {
  let forValues: readonly string[] | undefined;
  let redactor: TextRedactor = (t) => t;
  return (text) => {
    const v = values();
    if (v !== forValues) {
      forValues = v;
      redactor = createRedactor(v).text;
    }
    return redactor(text);
  };
}
