// What a user typed into a log search, as terms every dialect's full-text index understands: each
// word and "quoted phrase" must match, `word*` is a prefix. Never a syntax error: the text is read,
// not parsed as a query language (AND, OR, NEAR( are words like any other).

export interface SearchTerm {
  /** The word or the phrase, as typed (quotes removed). */
  text: string;
  /** `word*`: lines with a word starting with `text`. */
  prefix: boolean;
}

/** The terms of `text`, leaving out any with no letter or digit; empty when nothing is searchable. */
export function searchTerms(text: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  for (const m of text.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const phrase = m[1];
    const word = m[2];
    if (phrase !== undefined) {
      if (hasWordCharacter(phrase)) terms.push({ text: phrase, prefix: false });
    } else if (word !== undefined) {
      const prefix = word.length > 1 && word.endsWith('*');
      const body = prefix ? word.slice(0, -1) : word;
      if (hasWordCharacter(body)) terms.push({ text: body, prefix });
    }
  }
  return terms;
}

/** Text with none of the search syntax (quoted phrases, `word*` prefixes): grep-able as it is. */
export function isPlainSearchText(q: string): boolean {
  return !q.includes('"') && !/\*(\s|$)/.test(q);
}

function hasWordCharacter(s: string): boolean {
  return /[\p{L}\p{N}]/u.test(s);
}
