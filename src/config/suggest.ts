// "Did you mean …?" for misspelt keys, names and enum values.

/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two strings. */
export function measureEditDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = d[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The candidate closest to `input`, if one is close enough to be a likely typo. */
export function findClosest(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  // One edit turns any short word into another (P5 → P1), so a guess there is noise.
  if (needle.length < 3) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase();
    const distance = measureEditDistance(needle, hay);
    const limit = Math.max(1, Math.floor(Math.max(needle.length, hay.length) / 3));
    const isAbbreviation = needle.length >= 3 && hay.startsWith(needle);
    if ((distance <= limit || isAbbreviation) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean 'x'?)`, or an empty string when nothing is close. */
export function suggest(input: string, candidates: Iterable<string>): string {
  const closest = findClosest(input, candidates);
  return closest === undefined ? '' : ` (did you mean '${closest}'?)`;
}
