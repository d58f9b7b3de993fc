// Maps a path in the parsed config back to the YAML node it came from, for line:column.
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';

/** Where an issue points: at the key of the last path segment, or at its value. */
export type IssueTarget = 'key' | 'value';

export interface Position {
  line: number;
  column: number;
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function findPair(
  map: { items: Pair<unknown, unknown>[] },
  key: PropertyKey,
): Pair<unknown, unknown> | undefined {
  return map.items.find((pair) => {
    const k = pair.key;
    return (isScalar(k) ? String(k.value) : String(k)) === String(key);
  });
}

function startOf(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? range[0] : undefined;
}

/**
 * The offset of the node at `path`: the key node when `target` is 'key', else the value node.
 * A path that leaves the document (a missing key) stops at the deepest mapping or list that
 * exists, which is where the missing key belongs.
 */
export function findOffset(doc: Document, path: readonly PropertyKey[], target: IssueTarget): number {
  let node: unknown = resolve(doc, doc.contents);
  let offset = startOf(node) ?? 0;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = findPair(node, segment);
      if (!pair) return offset;
      const value = resolve(doc, pair.value);
      if ((last && target === 'key') || value === null || value === undefined)
        return startOf(pair.key) ?? offset;
      node = value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = resolve(doc, node.items[segment]);
      if (item === undefined || item === null) return offset;
      node = item;
    } else {
      return offset;
    }
    offset = startOf(node) ?? offset;
  }
  return offset;
}

export function findPosition(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PropertyKey[],
  target: IssueTarget,
): Position {
  const { line, col } = lineCounter.linePos(findOffset(doc, path, target));
  return { line, column: col };
}
