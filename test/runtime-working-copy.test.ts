// Working copies of an artifact: private to the instance, faithful to the artifact (modes, times,
// links), and never a way to change the artifact itself.
import { chmod, mkdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkingCopy } from '../src/runtime/local/working-copy.ts';
import { makeTempDir } from './fixtures/services/rt-harness.ts';

let tmp: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  tmp = await makeTempDir('copy');
});
afterEach(() => tmp.remove());

describe('working copies', () => {
  it('copies files, modes, modification times and relative links; the copy is owner-only', async () => {
    const artifact = join(tmp.path, 'artifact');
    await mkdir(join(artifact, 'lib', 'deep'), { recursive: true });
    await writeFile(join(artifact, 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(artifact, 'run.sh'), 0o755);
    await writeFile(join(artifact, 'lib', 'deep', 'data.txt'), 'pristine');
    const old = new Date('2026-01-02T03:04:05Z');
    await utimes(join(artifact, 'lib', 'deep', 'data.txt'), old, old);
    await symlink('lib/deep/data.txt', join(artifact, 'link.txt'));

    const work = await makeWorkingCopy(artifact, join(tmp.path, 'instance'));
    expect(work).toBe(join(tmp.path, 'instance', 'work'));
    expect((await stat(work)).mode & 0o777).toBe(0o700);
    expect((await stat(join(work, 'run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(work, 'lib', 'deep', 'data.txt'))).mtime.toISOString()).toBe(old.toISOString());
    expect(await readlink(join(work, 'link.txt'))).toBe('lib/deep/data.txt');
    expect(await readFile(join(work, 'link.txt'), 'utf8')).toBe('pristine');
  });

  it('refuses, naming both, an artifact that contains the working copy (it would copy itself forever)', async () => {
    const artifact = join(tmp.path, 'artifact');
    await mkdir(artifact);
    await writeFile(join(artifact, 'server.js'), '');
    await expect(makeWorkingCopy(artifact, join(artifact, 'data', 'instances', 'i1'))).rejects.toThrow(
      /contains the instance's working copy .*a copy cannot go inside itself/,
    );
    await expect(makeWorkingCopy(artifact, join(tmp.path, 'artifact-sibling'))).resolves.toBe(
      join(tmp.path, 'artifact-sibling', 'work'),
    );
  });

  it('writes into the copy, even in place, leave the artifact as it was', async () => {
    const artifact = join(tmp.path, 'artifact');
    await mkdir(artifact);
    await writeFile(join(artifact, 'db.sqlite'), 'original');
    const work = await makeWorkingCopy(artifact, join(tmp.path, 'a'));
    await writeFile(join(work, 'db.sqlite'), 'changed in place', { flag: 'r+' });
    await writeFile(join(work, 'new.txt'), 'new');
    expect(await readFile(join(artifact, 'db.sqlite'), 'utf8')).toBe('original');
    // A second start begins from the artifact again.
    const again = await makeWorkingCopy(artifact, join(tmp.path, 'a'));
    expect(await readFile(join(again, 'db.sqlite'), 'utf8')).toBe('original');
    await expect(stat(join(again, 'new.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('names a missing artifact and what to do', async () => {
    await expect(makeWorkingCopy(join(tmp.path, 'gone'), join(tmp.path, 'i'))).rejects.toThrow(
      /artifact directory .*gone does not exist; .*upload it again/,
    );
  });
});
