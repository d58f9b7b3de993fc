// When the commit of an upload was made, for DORA's lead time: --commit-time, else
// $GANTRY_COMMIT_TIME, else the head commit of the GitHub Actions event ($GITHUB_EVENT_PATH) when it
// is the commit uploaded, else `git show` in the current directory. Unknown is fine: the server
// then counts lead time from the upload.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { sameCommit } from '../triggers/version-name.ts';
import { UsageError } from './errors.ts';

/** How long `git show` may take before the commit time is left unknown. */
export const GIT_SHOW_TIMEOUT_MS = 5_000;
/** GitHub event files larger than this are not read (a push event is a few kilobytes). */
const MAX_EVENT_FILE_BYTES = 25 * 1024 * 1024;

const run = promisify(execFile);

export async function resolveCommitTime(
  env: Record<string, string | undefined>,
  opts: { commitTime?: string; commit?: string; cwd?: string },
): Promise<string | undefined> {
  if (opts.commitTime !== undefined) {
    if (opts.commit === undefined) {
      throw new UsageError(
        '--commit-time needs the commit it is the time of: add --commit SHA (or set GITHUB_SHA)',
      );
    }
    return isoTime(opts.commitTime, '--commit-time');
  }
  if (opts.commit === undefined) return undefined;
  if (env.GANTRY_COMMIT_TIME) return isoTime(env.GANTRY_COMMIT_TIME, 'GANTRY_COMMIT_TIME');
  return (
    (await fromGithubEvent(env.GITHUB_EVENT_PATH, opts.commit)) ?? (await fromGit(opts.commit, opts.cwd))
  );
}

function isoTime(text: string, what: string): string {
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at)) {
    throw new UsageError(`${what}: expected an ISO-8601 time like 2026-12-06T10:15:00Z, got "${text}"`);
  }
  return new Date(at).toISOString();
}

async function fromGithubEvent(file: string | undefined, commit: string): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > MAX_EVENT_FILE_BYTES) return undefined;
    const event = JSON.parse(text) as { head_commit?: { id?: unknown; timestamp?: unknown } | null };
    const head = event.head_commit;
    if (typeof head?.id !== 'string' || typeof head.timestamp !== 'string') return undefined;
    if (!sameCommit(head.id, commit) || Number.isNaN(Date.parse(head.timestamp))) return undefined;
    return new Date(Date.parse(head.timestamp)).toISOString();
  } catch {
    return undefined;
  }
}

async function fromGit(commit: string, cwd?: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{7,64}$/i.test(commit)) return undefined;
  try {
    const { stdout } = await run('git', ['show', '-s', '--format=%cI', commit], {
      timeout: GIT_SHOW_TIMEOUT_MS,
      ...(cwd !== undefined ? { cwd } : {}),
    });
    const at = Date.parse(stdout.trim());
    return Number.isNaN(at) ? undefined : new Date(at).toISOString();
  } catch {
    return undefined;
  }
}
