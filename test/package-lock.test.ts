// package-lock.json as committed must be the one a fresh `npm install` leaves behind. npm writes an
// entry for every optional dependency of a locked package, other platforms' included (it reads
// them from the registry without downloading them); a lock that lacks some was rewritten by the
// first `npm install` in a fresh clone (+134 lines for @biomejs/biome's darwin, win32, android and
// musl builds). The full check (a fresh clone, `npm install`, `git diff`) needs the registry and a
// minute, so it is done by hand (docs/install.md); this is the part that can be checked offline.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/gantry.ts';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
}

interface Lock {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** Where Node (and npm) would find `dep` from the package at `location`: its own node_modules, then each parent's. */
function candidates(location: string, dep: string): string[] {
  const found: string[] = [];
  let at = location;
  for (;;) {
    found.push(at === '' ? `node_modules/${dep}` : `${at}/node_modules/${dep}`);
    if (at === '') return found;
    const cut = at.lastIndexOf('/node_modules/');
    at = cut === -1 ? '' : at.slice(0, cut);
  }
}

/** Optional dependencies that no lock entry satisfies: the entries npm would add on install. */
function missingOptionalEntries(lock: Lock): string[] {
  const missing: string[] = [];
  for (const [location, entry] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
      if (!candidates(location, dep).some((c) => c in lock.packages)) {
        missing.push(`${location || '(root)'} → ${dep}`);
      }
    }
  }
  return missing;
}

describe('missingOptionalEntries', () => {
  it.each([
    ['complete', { 'node_modules/a': { optionalDependencies: { b: '1' } }, 'node_modules/b': {} }, []],
    [
      'a hoisted entry satisfies a nested package',
      {
        'node_modules/a': {},
        'node_modules/a/node_modules/c': { optionalDependencies: { b: '1' } },
        'node_modules/b': {},
      },
      [],
    ],
    [
      'a platform build left out',
      {
        'node_modules/a': { optionalDependencies: { 'a-linux': '1', 'a-darwin': '1' } },
        'node_modules/a-linux': {},
      },
      ['node_modules/a → a-darwin'],
    ],
    ['the root', { '': { optionalDependencies: { x: '1' } } }, ['(root) → x']],
  ] as Array<[string, Lock['packages'], string[]]>)('%s', (_name, packages, expected) => {
    expect(missingOptionalEntries({ lockfileVersion: 3, packages })).toEqual(expected);
  });
});

describe('the committed package-lock.json', () => {
  it('has an entry for every optional dependency, other platforms included', async () => {
    const lock = JSON.parse(await readFile(path.join(repoRoot, 'package-lock.json'), 'utf8')) as Lock;
    expect(lock.lockfileVersion).toBe(3);
    expect(missingOptionalEntries(lock)).toEqual([]);
  });

  it("keeps npm install quiet on the machine's older Node (.npmrc loglevel)", async () => {
    // Gantry runs on the Node 24 it pins (the `node` devDependency), but npm checks `engines`
    // against the Node that runs npm: on Node 20 every dependency needing Node 22+ printed an
    // EBADENGINE warning (35 lines), all false alarms. The project's .npmrc shows errors only.
    const npmrc = await readFile(path.join(repoRoot, '.npmrc'), 'utf8');
    expect(npmrc).toMatch(/^loglevel\s*=\s*error\s*$/m);
  });
});
