import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ArtifactStore, createArtifactStore } from '../src/artifacts/store.ts';
import { GantryError } from '../src/lib/errors.ts';

interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO' | 'CharacterDevice';
  linkpath?: string;
  body?: string | Buffer;
}

/** Writes tar headers by hand, so the archive holds exactly what an attacker would put in it. */
function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const block = Buffer.alloc(512);
    new Header({
      path: e.path,
      type: e.type ?? 'File',
      linkpath: e.linkpath,
      size: body.length,
      mode: e.type === 'Directory' ? 0o755 : 0o644,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    }).encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const tgz = (entries: RawEntry[]) => gzipSync(rawTar(entries));
const ok: RawEntry = { path: 'ok.txt', body: 'fine' };

let work: string;
let store: ArtifactStore;
let n = 0;
const next = () => ({ service: 'svc', version: `v${++n}`, maxBytes: 1024 * 1024 });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gantry-artifacts-bad-'));
  store = createArtifactStore(join(work, 'data'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

async function expectNothingLeft(version: string): Promise<void> {
  const incoming = await readdir(join(work, 'data/artifacts/.incoming')).catch(() => []);
  expect(incoming).toEqual([]);
  await expect(stat(join(work, 'data/artifacts/svc', version))).rejects.toThrow();
}

async function expectRefused(
  run: (o: ReturnType<typeof next>) => Promise<unknown>,
  code: 'BAD_ARTIFACT' | 'ARTIFACT_TOO_LARGE',
  mention: string,
  o = next(),
): Promise<GantryError> {
  const err = await run(o).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GantryError);
  const g = err as GantryError;
  expect(g.code).toBe(code);
  expect(g.message).toContain(mention);
  await expectNothingLeft(o.version);
  return g;
}

describe('importTarball refuses', () => {
  const cases: Array<[string, Buffer, string]> = [
    ['an entry climbing out with ..', tgz([ok, { path: '../evil', body: 'x' }]), '"../evil"'],
    ['a nested .. entry', tgz([ok, { path: 'a/../../evil', body: 'x' }]), '"a/../../evil"'],
    ['an absolute path', tgz([ok, { path: '/etc/x', body: 'x' }]), '"/etc/x"'],
    [
      'a symlink leading outside',
      tgz([ok, { path: 'link', type: 'SymbolicLink', linkpath: '../../outside' }]),
      'symlink "link" -> "../../outside"',
    ],
    [
      'a symlink with an absolute target',
      tgz([ok, { path: 'passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }]),
      'symlink "passwd" -> "/etc/passwd"',
    ],
    [
      'a symlink whose .. follows another component',
      tgz([ok, { path: 'sneaky', type: 'SymbolicLink', linkpath: 'sub/../..' }]),
      '"sneaky"',
    ],
    [
      'a hard link to a file outside',
      tgz([ok, { path: 'hard', type: 'Link', linkpath: '../outside' }]),
      'hard link "hard" -> "../outside"',
    ],
    [
      'a hard link to an absolute path',
      tgz([ok, { path: 'shadow', type: 'Link', linkpath: '/etc/shadow' }]),
      'hard link "shadow" -> "/etc/shadow"',
    ],
    [
      'a hard link to something not in the archive',
      tgz([ok, { path: 'hard2', type: 'Link', linkpath: 'missing.txt' }]),
      'hard link "hard2" -> "missing.txt"',
    ],
    [
      'a file written through a symlink',
      tgz([ok, { path: 'd', type: 'SymbolicLink', linkpath: '.' }, { path: 'd/x', body: 'x' }]),
      '"d/x"',
    ],
    ['a FIFO', tgz([ok, { path: 'pipe', type: 'FIFO' }]), '"pipe" is not allowed: it is a FIFO'],
    [
      'a device',
      tgz([ok, { path: 'null', type: 'CharacterDevice' }]),
      '"null" is not allowed: it is a CharacterDevice',
    ],
    ['an archive with no files', tgz([{ path: 'only-dir/', type: 'Directory' }]), 'holds no files'],
    ['a 0-byte upload', Buffer.alloc(0), 'empty'],
    [
      'bytes that are not an archive',
      Buffer.from(`not a tarball ${randomBytes(600).toString('hex')}`),
      'neither',
    ],
    ['gzip of something that is not tar', gzipSync(Buffer.from('hello '.repeat(500))), 'not a tar archive'],
    [
      'a truncated .tar.gz',
      tgz([{ path: 'r.bin', body: randomBytes(20_000) }]).subarray(0, 5000),
      'incomplete',
    ],
  ];

  it.each(cases)('%s', async (_name, bytes, mention) => {
    await expectRefused((o) => store.importTarball(Readable.from([bytes]), o), 'BAD_ARTIFACT', mention);
  });

  it('the same entries in a plain .tar', async () => {
    const bad = rawTar([ok, { path: '../evil', body: 'x' }]);
    await expectRefused((o) => store.importTarball(Readable.from([bad]), o), 'BAD_ARTIFACT', '"../evil"');
  });

  it('an upload larger than maxBytes', async () => {
    const big = tgz([{ path: 'r.bin', body: randomBytes(50_000) }]);
    const chunks = Array.from({ length: 50 }, (_, i) => big.subarray(i * 1024, (i + 1) * 1024));
    const g = await expectRefused(
      (o) => store.importTarball(Readable.from(chunks), { ...o, maxBytes: 10_000 }),
      'ARTIFACT_TOO_LARGE',
      'larger than the limit of 10000 bytes',
    );
    expect(g.status).toBe(413);
  });

  it('an upload that breaks off half-way', async () => {
    const whole = tgz([{ path: 'r.bin', body: randomBytes(100_000) }]);
    const broken = Readable.from(
      (async function* () {
        yield whole.subarray(0, 20_000);
        throw new Error('client went away');
      })(),
    );
    await expectRefused(
      (o) => store.importTarball(broken, o),
      'BAD_ARTIFACT',
      'interrupted: client went away',
    );
  });

  it('an archive that unpacks past the unpacked-size cap', async () => {
    const bomb = tgz([ok, { path: 'zeros.bin', body: Buffer.alloc(2 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(10_000);
    await expectRefused(
      (o) => store.importTarball(Readable.from([bomb]), { ...o, maxBytes: 10_000 }),
      'ARTIFACT_TOO_LARGE',
      '"zeros.bin"',
    );
  });

  it('an archive with too many entries', async () => {
    const many = tgz(Array.from({ length: 6 }, (_, i) => ({ path: `f${i}`, body: 'x' })));
    await expectRefused(
      (o) => store.importTarball(Readable.from([many]), { ...o, maxEntries: 5 }),
      'ARTIFACT_TOO_LARGE',
      '"f5"',
    );
  });

  it('an archive refused at its last entry, having unpacked none of the others', async () => {
    const files = Array.from({ length: 50 }, (_, i) => ({ path: `f${i}`, body: 'x'.repeat(1000) }));
    const tar = rawTar([...files, { path: '../evil', body: 'x' }]);
    const lastHeader = 50 * 1024;
    const unpackedSoFar: string[] = [];
    const source = Readable.from(
      (async function* () {
        yield tar.subarray(0, lastHeader);
        // Every good entry has arrived: the old importer had unpacked them by now.
        await new Promise((r) => setTimeout(r, 200));
        unpackedSoFar.push(...(await filesUnder(join(work, 'data/artifacts/.incoming'))));
        yield tar.subarray(lastHeader);
      })(),
    );
    await expectRefused((o) => store.importTarball(source, o), 'BAD_ARTIFACT', '"../evil"');
    // Only the upload itself, written as it arrives, checked before anything is unpacked.
    expect(unpackedSoFar.filter((f) => !f.endsWith('.upload'))).toEqual([]);
    expect(unpackedSoFar).toHaveLength(1);
  });

  it('but keeps a symlink that stays inside', async () => {
    const good = tgz([
      { path: 'sub/', type: 'Directory' },
      { path: 'sub/file.txt', body: 'inside' },
      { path: 'sub/up', type: 'SymbolicLink', linkpath: '../ok.txt' },
      { path: 'cur', type: 'SymbolicLink', linkpath: 'sub/file.txt' },
      ok,
    ]);
    const res = await store.importTarball(Readable.from([good]), next());
    expect(res.files).toBe(2);
    const dir = store.pathOf(res.dir);
    expect(await readFile(join(dir, 'cur'), 'utf8')).toBe('inside');
    expect(await readFile(join(dir, 'sub/up'), 'utf8')).toBe('fine');
  });
});

describe('importDirectory refuses', () => {
  let src: string;
  afterEach(async () => {
    await rm(src, { recursive: true, force: true });
  });
  const makeSrc = async () => {
    src = await mkdtemp(join(work, 'src-'));
    await mkdir(join(src, 'lib'));
    await writeFile(join(src, 'lib/ok.txt'), 'fine');
  };

  it('a symlink leading outside', async () => {
    await makeSrc();
    await symlink('../../outside', join(src, 'lib/escape'));
    await expectRefused(
      (o) => store.importDirectory(src, o),
      'BAD_ARTIFACT',
      'symlink "lib/escape" -> "../../outside"',
    );
  });

  it('a FIFO', async () => {
    await makeSrc();
    execFileSync('mkfifo', [join(src, 'lib/pipe')]);
    await expectRefused(
      (o) => store.importDirectory(src, o),
      'BAD_ARTIFACT',
      '"lib/pipe" is not allowed: it is a FIFO',
    );
  });

  it('files past the unpacked-size cap', async () => {
    await makeSrc();
    await writeFile(join(src, 'lib/big.bin'), Buffer.alloc(30_000));
    await expectRefused(
      (o) => store.importDirectory(src, { ...o, maxBytes: 1000 }),
      'ARTIFACT_TOO_LARGE',
      '"lib/big.bin"',
    );
  });

  it('a path that is not a directory', async () => {
    await makeSrc();
    await expectRefused(
      (o) => store.importDirectory(join(src, 'lib/ok.txt'), o),
      'BAD_ARTIFACT',
      'is not a directory',
    );
  });
});
