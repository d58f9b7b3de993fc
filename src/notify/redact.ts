// Keeping secrets out of errors and logs: `${secret:NAME}` references are resolved only at send time,
// every value resolved for a channel is remembered, and any text leaving the channel has those
// values, and every URL's path and query, replaced (Alertmanager's RedactURL idea).
import { replaceSecretReferences } from '../config/secret-refs.ts';

export const REDACTED = '<redacted>';

/** Raised when a channel field names a secret that has no value. */
export class MissingSecretError extends Error {
  readonly secretName: string;
  constructor(name: string) {
    super(
      `secret ${name} is not set: set the environment variable ${name} for the Gantry server (or fix the reference in gantry.yaml)`,
    );
    this.name = 'MissingSecretError';
    this.secretName = name;
  }
}

/** The secrets one delivery resolved, so that its error can be scrubbed of them. */
export class SecretScope {
  readonly #lookup: (name: string) => string | undefined;
  readonly #values = new Set<string>();

  constructor(lookup: (name: string) => string | undefined) {
    this.#lookup = lookup;
  }

  /**
   * Resolves the references in a secret field. The whole resolved value counts as a secret too:
   * a literal Slack URL or routing key in gantry.yaml is as sensitive as a referenced one.
   */
  resolve(value: string): string {
    const resolved = replaceSecretReferences(value, (name) => {
      const v = this.#lookup(name);
      if (v === undefined || v === '') throw new MissingSecretError(name);
      this.#remember(v);
      return v;
    });
    this.#remember(resolved);
    return resolved;
  }

  /** URLs keep their origin (useful to tell which receiver failed); everything secret goes. */
  redact(text: string): string {
    let out = redactUrls(text);
    // Longest first, so a value containing another is replaced whole.
    for (const v of [...this.#values].sort((a, b) => b.length - a.length)) {
      out = out.split(v).join(REDACTED);
    }
    return out;
  }

  #remember(v: string): void {
    // Very short values would redact ordinary words; a real secret is never this short.
    if (v.length < 4) return;
    this.#values.add(v);
    if (URL.canParse(v)) {
      // A secret URL may be quoted without its scheme, or only by its path.
      const u = new URL(v);
      const rest = `${u.pathname}${u.search}`;
      if (rest.length >= 4) this.#values.add(rest);
    }
  }
}

const URL_IN_TEXT = /\b(https?|smtps?):\/\/[^\s"'<>]+/gi;

/** `https://hooks.slack.com/services/T0/B0/xyz?token=1` → `https://hooks.slack.com/<redacted>`. */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    try {
      const u = new URL(match);
      const rest = `${u.pathname}${u.search}${u.hash}`;
      return rest === '/' || rest === ''
        ? `${u.protocol}//${u.host}`
        : `${u.protocol}//${u.host}/${REDACTED}`;
    } catch {
      return REDACTED;
    }
  });
}

/** An error's message with its causes, for a log line or a delivery record (still to be redacted). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const parts = [err.message];
  let cause = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    if (cause.message && !parts.includes(cause.message)) parts.push(cause.message);
    cause = cause.cause;
  }
  return parts.filter(Boolean).join(': ');
}
