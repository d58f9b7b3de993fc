// `--version` for `gantry release --ref` and `gantry upload --ref` when it is not given: the name the
// GitHub push webhook gives the same ref (a tag's name, or the first 12 digits of a branch's
// commit), so CI's upload and a push trigger meet on one version.
import { versionForRef } from '../triggers/version-name.ts';
import { UsageError } from './errors.ts';

export function resolveVersion(
  env: Record<string, string | undefined>,
  opts: { version?: string; ref?: string; commit?: string },
): string {
  if (opts.version) return opts.version;
  if (!opts.ref) throw new UsageError('pass --version V (or --ref REF to name the version after the ref)');
  const named = versionForRef(opts.ref, opts.commit ?? (env.GITHUB_SHA || undefined));
  if (named.version === undefined)
    throw new UsageError(`cannot name the version of ${opts.ref}: ${named.error}`);
  return named.version;
}
