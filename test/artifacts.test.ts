import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArtifactStore, createArtifactStore } from '../src/artifacts/store.ts';
import { GantryError } from '../src/lib/errors.ts';

const MB = 1024 * 1024;
const SOURCE_FILES: Array<[string, number, string | Buffer]> = [
  ['bin/run.sh', 0o755, '#!/bin/sh\necho hello\n'],
  ['server.js', 0o644, 'console.log("hi");\n'],
  ['config/secret.json', 0o600, '{"k":1}\n'],
  ['node_modules/pkg/index.js', 0o644, 'module.exports = 1;\n'],
  ['data/big.bin', 0o644, randomBytes(300_000)],
];

let work: string;
let src: string;
let store: ArtifactStore;
let umask: number;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gantry-artifacts-'));
  src = join(work, 'src');
  for (const [rel, mode, content] of SOURCE_FILES) {
    await mkdir(join(src, rel, '..'), { recursive: true });
    await writeFile(join(src, rel), content, { mode });
  }
  await mkdir(join(src, '.git'), { recursive: true });
  await writeFile(join(src, '.git/HEAD'), 'ref: refs/heads/main\n');
  await mkdir(join(src, 'node_modules/.cache'), { recursive: true });
  await writeFile(join(src, 'node_modules/.cache/junk'), 'x');
  await symlink('server.js', join(src, 'current'));
  await symlink('../server.js', join(src, 'config/up'));
  await link(join(src, 'server.js'), join(src, 'server-hardlink.js'));
  // The process umask applies to created files; learn it rather than assume 022.
  await writeFile(join(work, 'probe-umask'), '', { mode: 0o777 });
  umask = 0o777 & ~(await stat(join(work, 'probe-umask'))).mode;
  store = createArtifactStore(join(work, 'data'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const opts = (version: string) => ({ service: 'shop-api', version, maxBytes: 5 * MB });

async function expectSameTree(dir: string, hardlinksShared: boolean): Promise<void> {
  for (const [rel, mode, content] of SOURCE_FILES) {
    const st = await stat(join(dir, rel));
    // The owner's bits are kept; group and others get nothing (the data dir is private).
    expect((st.mode & 0o777).toString(8), rel).toBe((mode & 0o700 & ~umask).toString(8));
    expect(await readFile(join(dir, rel))).toEqual(Buffer.from(content));
  }
  expect(await readlink(join(dir, 'current'))).toBe('server.js');
  expect(await readlink(join(dir, 'config/up'))).toBe('../server.js');
  expect(await readFile(join(dir, 'config/up'), 'utf8')).toBe('console.log("hi");\n');
  const a = await lstat(join(dir, 'server.js'));
  const b = await lstat(join(dir, 'server-hardlink.js'));
  expect(a.ino === b.ino).toBe(hardlinksShared);
  await expect(stat(join(dir, '.git'))).rejects.toThrow();
  await expect(stat(join(dir, 'node_modules/.cache'))).rejects.toThrow();
  expect((await stat(dir)).mode & 0o777).toBe(0o700);
}

async function incomingIsEmpty(): Promise<boolean> {
  return (await readdir(join(work, 'data/artifacts/.incoming'))).length === 0;
}

describe('artifact store', () => {
  it('round-trips pack → import of a .tar.gz, keeping content, modes and links', async () => {
    const tgz = await buffer(store.packDirectory(src));
    expect(tgz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const tarball = join(work, 'upload.tgz');
    await writeFile(tarball, tgz);

    const res = await store.importTarball(createReadStream(tarball, { highWaterMark: 4096 }), opts('v1.0.0'));
    expect(res).toEqual({
      dir: 'artifacts/shop-api/v1.0.0',
      sha256: createHash('sha256').update(tgz).digest('hex'),
      sizeBytes: tgz.length,
      files: SOURCE_FILES.length + 1,
    });
    expect(store.pathOf(res.dir)).toBe(join(work, 'data/artifacts/shop-api/v1.0.0'));
    await expectSameTree(store.pathOf(res.dir), true);
    expect(await incomingIsEmpty()).toBe(true);
  });

  it('imports a plain .tar too', async () => {
    const tar = gunzipSync(await buffer(store.packDirectory(src)));
    const chunks = Array.from({ length: Math.ceil(tar.length / 1000) }, (_, i) =>
      tar.subarray(i * 1000, (i + 1) * 1000),
    );
    const res = await store.importTarball(Readable.from(chunks), opts('v1.0.0-plain'));
    expect(res.sha256).toBe(createHash('sha256').update(tar).digest('hex'));
    await expectSameTree(store.pathOf(res.dir), true);
  });

  it('imports a directory with the same result and a stable tree digest', async () => {
    const a = await store.importDirectory(src, opts('dir-a'));
    const b = await store.importDirectory(src, opts('dir-b'));
    expect(a.dir).toBe('artifacts/shop-api/dir-a');
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.sha256).toBe(b.sha256);
    expect(a.files).toBe(SOURCE_FILES.length + 1);
    await expectSameTree(store.pathOf(a.dir), false);
    expect(await incomingIsEmpty()).toBe(true);
  });

  it('refuses to overwrite an existing version', async () => {
    await store.importDirectory(src, opts('v-exists'));
    const again = store.importDirectory(src, opts('v-exists'));
    await expect(again).rejects.toMatchObject({ code: 'VERSION_EXISTS' });
    const tgz = await buffer(store.packDirectory(src));
    await expect(store.importTarball(Readable.from([tgz]), opts('v-exists'))).rejects.toMatchObject({
      code: 'VERSION_EXISTS',
    });
    expect(await incomingIsEmpty()).toBe(true);
  });

  it.each(['', '.', '..', 'a/b', '../x', 'a b', 'v1;rm', 'x'.repeat(129), 'v1\u0000'])(
    'refuses the version name %j',
    async (version) => {
      const err = await store.importDirectory(src, opts(version)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GantryError);
      expect((err as GantryError).code).toBe('BAD_REQUEST');
      expect((err as GantryError).message).toContain('not a valid version name');
    },
  );

  it('accepts the whole version alphabet', async () => {
    const res = await store.importDirectory(src, opts('v1.2.3+build_7-rc'));
    expect(res.dir).toBe('artifacts/shop-api/v1.2.3+build_7-rc');
  });

  it('refuses a bad service name', async () => {
    await expect(store.importDirectory(src, { ...opts('v1'), service: '../etc' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('removes a version', async () => {
    const res = await store.importDirectory(src, opts('v-remove'));
    await store.remove('shop-api', 'v-remove');
    await expect(stat(store.pathOf(res.dir))).rejects.toThrow();
    await store.remove('shop-api', 'v-remove');
  });

  it('pathOf refuses paths outside the store', () => {
    for (const rel of ['../x', '/etc/passwd', 'artifacts', 'artifacts/.incoming/x', 'artifacts/../../x']) {
      expect(() => store.pathOf(rel), rel).toThrow(/not inside the artifact store/);
    }
  });

  it('sweeps temp dirs left by an interrupted import', async () => {
    const stale = join(work, 'data/artifacts/.incoming/shop-api-stale');
    await mkdir(stale, { recursive: true });
    await writeFile(join(stale, 'partial'), 'x');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    expect(await store.sweepIncoming()).toBe(1);
    expect(await incomingIsEmpty()).toBe(true);
  });
});
