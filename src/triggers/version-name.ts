// The version name a git ref builds, shared by the GitHub webhook and `gantry release --ref`, so a
// push and CI's upload agree on it: a tag's own name (`v1.2.3`) for tags, the first 12 hex digits
// of the commit for branches (a branch name is not a version: it moves).

import { VERSION_NAME_PATTERN, VERSION_NAME_RULE } from '../lib/names.ts';

export const SHORT_SHA_LENGTH = 12;

const COMMIT_SHA = /^[0-9a-f]{7,64}$/i;

export type VersionForRef = { version: string; error?: undefined } | { version?: undefined; error: string };

/**
 * The version name of a full ref (`refs/tags/v1.2.3` → `v1.2.3`, `refs/heads/main` at commit
 * 6113728f27ae… → `6113728f27ae`), or why there is none.
 */
export function versionForRef(ref: string, commit?: string): VersionForRef {
  if (ref.startsWith('refs/tags/')) {
    const tag = ref.slice('refs/tags/'.length);
    if (!VERSION_NAME_PATTERN.test(tag)) {
      return {
        error: `tag ${tag} cannot be a version name (${VERSION_NAME_RULE}): pass --version`,
      };
    }
    return { version: tag };
  }
  if (ref.startsWith('refs/heads/')) {
    if (!commit)
      return { error: `a branch build's version is its commit: pass --commit SHA (or set GITHUB_SHA)` };
    if (!COMMIT_SHA.test(commit)) return { error: `commit ${commit} is not a hexadecimal git SHA` };
    return { version: commit.slice(0, SHORT_SHA_LENGTH).toLowerCase() };
  }
  return {
    error: `ref ${ref} is not a full branch or tag ref (refs/heads/… or refs/tags/…): pass --version`,
  };
}

/** Do two spellings of a commit name the same one (a full SHA and a prefix of at least 7)? */
export function sameCommit(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (Math.min(x.length, y.length) < 7) return x === y;
  return x.startsWith(y) || y.startsWith(x);
}

/** Do two spellings of a ref name the same one (`refs/tags/v1` and `v1` do)? */
export function sameRef(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.startsWith('refs/') && b.startsWith('refs/')) return false;
  return shortRef(a) === shortRef(b);
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}
