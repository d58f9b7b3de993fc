// Where `gantry upload` finds the time of the commit it uploads: --commit-time, $GANTRY_COMMIT_TIME,
// the GitHub Actions event file, then `git show` in a real repository; and how DORA matches a
// version's (short) commit with the recorded times.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCommitTime } from '../src/cli/commit-time.ts';
import { UsageError } from '../src/cli/errors.ts';
import { committedAtOf } from '../src/dora/read.ts';

const run = promisify(execFile);
const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gantry-commit-time-'));
  dirs.push(dir);
  return dir;
}

describe('resolveCommitTime', () => {
  it('takes --commit-time first, in UTC, and refuses it without a commit or malformed', async () => {
    expect(await resolveCommitTime({}, { commitTime: '2026-12-06T10:15:00+01:00', commit: SHA })).toBe(
      '2026-12-06T09:15:00.000Z',
    );
    await expect(resolveCommitTime({}, { commitTime: '2026-12-06T10:15:00Z' })).rejects.toThrow(UsageError);
    await expect(resolveCommitTime({}, { commitTime: 'yesterday', commit: SHA })).rejects.toThrow(
      '--commit-time: expected an ISO-8601 time like 2026-12-06T10:15:00Z, got "yesterday"',
    );
  });

  it('reads $GANTRY_COMMIT_TIME, then the head commit of the GitHub event when it is the commit', async () => {
    const dir = await scratch();
    const event = path.join(dir, 'event.json');
    await writeFile(
      event,
      JSON.stringify({ head_commit: { id: SHA, timestamp: '2026-12-01T08:00:00-05:00' } }),
    );
    expect(await resolveCommitTime({ GANTRY_COMMIT_TIME: '2026-12-02T00:00:00Z' }, { commit: SHA })).toBe(
      '2026-12-02T00:00:00.000Z',
    );
    expect(
      await resolveCommitTime({ GITHUB_EVENT_PATH: event }, { commit: SHA.slice(0, 12), cwd: dir }),
    ).toBe('2026-12-01T13:00:00.000Z');
    // Another commit than the event's: not its time (and no git repository here to ask).
    expect(await resolveCommitTime({ GITHUB_EVENT_PATH: event }, { commit: 'abcdef1234567', cwd: dir })).toBe(
      undefined,
    );
    expect(await resolveCommitTime({ GANTRY_COMMIT_TIME: '2026-12-02T00:00:00Z' }, {})).toBe(undefined);
  });

  it('asks git for the committer time of a commit in the current repository', async () => {
    const dir = await scratch();
    const git = (...args: string[]) =>
      run('git', args, {
        cwd: dir,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.com',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.com',
          GIT_COMMITTER_DATE: '2026-11-30T12:34:56+02:00',
          GIT_AUTHOR_DATE: '2026-11-30T12:34:56+02:00',
        },
      });
    await git('init', '-q');
    await git('commit', '-q', '--allow-empty', '-m', 'first');
    const sha = (await git('rev-parse', 'HEAD')).stdout.trim();
    expect(await resolveCommitTime({}, { commit: sha, cwd: dir })).toBe('2026-11-30T10:34:56.000Z');
    expect(await resolveCommitTime({}, { commit: 'not-a-sha', cwd: dir })).toBe(undefined);
  });
});

describe('committedAtOf', () => {
  it('matches a short commit with a recorded full one', () => {
    const times = [{ commit: SHA, committedAt: '2026-12-01T00:00:00.000Z' }];
    expect(committedAtOf(SHA.slice(0, 12), times)).toBe('2026-12-01T00:00:00.000Z');
    expect(committedAtOf('abcdef1234567', times)).toBe(null);
    expect(committedAtOf(null, times)).toBe(null);
  });
});
