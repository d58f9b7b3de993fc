// The ways a secret value shows up in output, so that masking finds every one: output is stored a
// line at a time, so each line of a multi-line value (a PEM key, a JSON credentials file) is
// masked on its own; and JSON loggers of other languages escape characters JavaScript leaves
// alone (Python and PHP write é as \u00e9, PHP also writes / as \/, Go writes & as \u0026, .NET
// escapes both in upper case and " as \u0022).

/** Shorter lines of a multi-line value (`}`, a blank line) would mask ordinary output. */
export const MIN_MASKED_LINE = 8;

interface JsonStyle {
  escape: RegExp;
  upper: boolean;
  quote: string;
  slash: string;
}

const NON_ASCII = /[^\x20-\x7e]/;
const STYLES: JsonStyle[] = [
  { escape: NON_ASCII, upper: false, quote: '\\"', slash: '/' },
  { escape: NON_ASCII, upper: false, quote: '\\"', slash: '\\/' },
  { escape: /[<>&\u2028\u2029]/, upper: false, quote: '\\"', slash: '/' },
  { escape: /[^\x20-\x7e]|[<>&'+`]/, upper: true, quote: '\\u0022', slash: '/' },
];
const SHORT_ESCAPES: Record<string, string> = {
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** The value, its lines when it has several, and its spellings as JSON string content. */
export function spellingsOf(value: string): string[] {
  const out = new Set([value]);
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n|\r/)) if (line.trim().length >= MIN_MASKED_LINE) out.add(line);
  }
  for (const style of STYLES) out.add(jsonSpelling(value, style));
  out.add(JSON.stringify(value).slice(1, -1));
  return [...out];
}

function jsonSpelling(value: string, style: JsonStyle): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '"') out += style.quote;
    else if (c === '\\') out += '\\\\';
    else if (c === '/') out += style.slash;
    else if (SHORT_ESCAPES[c]) out += SHORT_ESCAPES[c];
    else if (c.charCodeAt(0) < 0x20 || style.escape.test(c)) {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0');
      out += `\\u${style.upper ? hex.toUpperCase() : hex}`;
    } else out += c;
  }
  return out;
}
