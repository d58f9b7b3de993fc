// Duplicate keys in a mapping, found in one pass with a set per mapping. The YAML parser's own
// check (`uniqueKeys: true`) compares each key with every earlier one: quadratic, so a 40,000-key
// file kept the process busy for tens of seconds. Keys are compared as the parser does: scalars by
// value (so `1` and `"1"` differ), other keys by identity.
import { isMap, isScalar, type LineCounter, visit, type Document as YamlDocument } from 'yaml';

export interface DuplicateKey {
  line: number;
  column: number;
}

export function findDuplicateKeys(doc: YamlDocument, lineCounter: LineCounter): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const offset = isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
        const { line, col } = lineCounter.linePos(offset);
        found.push({ line, column: col });
      }
    },
  });
  return found;
}
