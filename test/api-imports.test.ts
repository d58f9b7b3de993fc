// The API's modules import one way: route modules import the leaf route-doc.ts, only the server
// imports the assembler (route-table.ts), and no chain of imports (type-only ones included, as
// madge counts them) leads from a module of src/api back to itself. Imports are read with a regex:
// `import … from './x.ts'` and `export … from './x.ts'`, the project's only forms.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/gantry.ts';

const SRC = path.join(repoRoot, 'src');
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm;

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return sourceFiles(full);
      return Promise.resolve(e.name.endsWith('.ts') ? [full] : []);
    }),
  );
  return nested.flat();
}

/** Every file of src with the files of src it imports, as paths relative to src. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(file, 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) =>
      path.relative(SRC, path.resolve(path.dirname(file), m[1] as string)),
    );
    graph.set(path.relative(SRC, file), targets);
  }
  return graph;
}

/** The cycles through `from`: paths of imports that start and end at it (at most `limit`). */
function cyclesThrough(graph: Map<string, string[]>, from: string, limit = 5): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const walk = (node: string, trail: string[]) => {
    for (const next of graph.get(node) ?? []) {
      if (found.length >= limit) return;
      if (next === from) found.push([...trail, next]);
      else if (!seen.has(next)) {
        seen.add(next);
        walk(next, [...trail, next]);
      }
    }
  };
  walk(from, [from]);
  return found;
}

describe('imports of src/api', () => {
  it('form no cycle', async () => {
    const graph = await importGraph();
    const api = [...graph.keys()].filter((f) => f.startsWith(`api${path.sep}`));
    expect(api.length).toBeGreaterThan(20);
    const cycles = api.flatMap((f) => cyclesThrough(graph, f, 1)).map((c) => c.join(' → '));
    expect(cycles).toEqual([]);
  });

  it('lead to the route assembler from the server only', async () => {
    const graph = await importGraph();
    const importers = [...graph].filter(([, targets]) =>
      targets.includes(path.join('api', 'route-table.ts')),
    );
    expect(importers.map(([file]) => file)).toEqual([path.join('api', 'server.ts')]);
  });

  it('the cycle finder finds a cycle', () => {
    const graph = new Map([
      ['api/a.ts', ['api/b.ts']],
      ['api/b.ts', ['lib/c.ts']],
      ['lib/c.ts', ['api/a.ts']],
    ]);
    expect(cyclesThrough(graph, 'api/a.ts')).toEqual([['api/a.ts', 'api/b.ts', 'lib/c.ts', 'api/a.ts']]);
    expect(cyclesThrough(graph, 'lib/c.ts')).toHaveLength(1);
  });
});
