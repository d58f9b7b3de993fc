// Which environment a git ref releases to, from the environments' `track` rules (used by
// `gantry release --ref …` and the GitHub push webhook).
import path from 'node:path';
import type { GantryConfig, TrackConfig } from './types.ts';

export interface RefMatch {
  environment: string;
  kind: 'branch' | 'tag';
  /** The branch or tag name, without `refs/heads/` or `refs/tags/`. */
  name: string;
}

type RefKind = RefMatch['kind'];

function toList(globs: string | string[] | undefined): string[] {
  if (globs === undefined) return [];
  return typeof globs === 'string' ? [globs] : globs;
}

/** Glob semantics of `path.matchesGlob`: `*` stays within one `/` segment, `**` crosses them. */
export function matchesTrack(track: TrackConfig | undefined, kind: RefKind, name: string): boolean {
  const globs = toList(kind === 'branch' ? track?.branch : track?.tag);
  return globs.some((glob) => path.posix.matchesGlob(name, glob));
}

function findEnvironment(config: GantryConfig, kind: RefKind, name: string): RefMatch | undefined {
  for (const env of Object.values(config.environments)) {
    if (matchesTrack(env.track, kind, name)) return { environment: env.name, kind, name };
  }
  return undefined;
}

/**
 * The environment a ref releases to. `refs/heads/X` is branch X, `refs/tags/X` is tag X, and a
 * bare name is tried as a tag first, then as a branch; any other `refs/…` matches nothing.
 * When several environments match, the first one in file order wins (`environments` keeps the
 * order of gantry.yaml), so list the more specific rules first.
 */
export function matchRef(config: GantryConfig, ref: string): RefMatch | undefined {
  if (ref.startsWith('refs/heads/'))
    return findEnvironment(config, 'branch', ref.slice('refs/heads/'.length));
  if (ref.startsWith('refs/tags/')) return findEnvironment(config, 'tag', ref.slice('refs/tags/'.length));
  if (ref.startsWith('refs/') || ref === '') return undefined;
  return findEnvironment(config, 'tag', ref) ?? findEnvironment(config, 'branch', ref);
}
