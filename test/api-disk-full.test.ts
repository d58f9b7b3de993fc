// A full disk, for real: the server runs in its own mount namespace with its data directory on a
// 16 MB tmpfs (`unshare -m`, as root or in a user namespace), and the test fills that disk through
// /proc/<pid>/root. Writes are answered 507 STORAGE_FULL naming ENOSPC (an upload was 422
// BAD_ARTIFACT), /readiness fails its datadir:writable check (it passed), and both recover once
// space is freed. Also the mapping itself, on a real SQLITE_FULL from node:sqlite.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageFullCode, storageFullError } from '../src/lib/storage-full.ts';
import { ApiClient, adminToken, helloBuild, repoRoot, tempDir, writeHelloConfig } from './helpers/gantry.ts';
import { requirePeer } from './helpers/peers.ts';

const canUnshare =
  spawnSync('unshare', ['-r', '-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /mnt && true']).status === 0;

describe.skipIf(
  requirePeer('unshare -m with a tmpfs', canUnshare, 'unshare -r -m or mount -t tmpfs failed') === 'skip',
)('a full disk (needs unshare -m and a tmpfs mount)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let proc: ReturnType<typeof spawn> | undefined;
  let api: ApiClient;
  let disk: string;
  let filler: string;
  let output = '';

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir);
    const mount = path.join(tmp.dir, 'disk');
    await mkdir(mount);
    const script = 'mount -t tmpfs -o size=16m tmpfs "$1" && shift && exec "$@"';
    proc = spawn(
      'unshare',
      [
        '-r',
        '-m',
        'sh',
        '-c',
        script,
        'sh',
        mount,
        process.execPath,
        path.join(repoRoot, 'bin/gantry.js'),
        'server',
        '--config',
        cfg.file,
        '--data-dir',
        path.join(mount, 'data'),
        '--listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /"url":"(http:\/\/[^"]+)"[^\n]*gantry server ready/.exec(output);
        if (m?.[1]) resolve(m[1]);
      };
      proc?.stdout?.on('data', onData);
      proc?.stderr?.on('data', onData);
      proc?.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
    });
    // The server's view of its tmpfs, from outside its mount namespace.
    disk = `/proc/${proc.pid}/root${mount}`;
    filler = path.join(disk, 'filler');
    api = new ApiClient(url, adminToken(path.join(disk, 'data')));
  }, 60_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc?.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    await tmp?.cleanup();
  }, 30_000);

  async function fillDisk(): Promise<number> {
    const handle = await open(filler, 'w');
    let written = 0;
    try {
      for (const size of [1024 * 1024, 4096, 512]) {
        for (;;) {
          try {
            written += (await handle.write(Buffer.alloc(size))).bytesWritten;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
            break;
          }
        }
      }
    } finally {
      await handle.close().catch(() => {});
    }
    return written;
  }

  it('answers writes 507 STORAGE_FULL and fails readiness while the disk is full; both recover', async () => {
    const ready = await api.call<{ checks: Record<string, Array<{ status: string }>> }>('GET', '/readiness');
    expect(ready.body.checks['datadir:writable']?.[0]?.status).toBe('pass');

    expect(await fillDisk()).toBeGreaterThan(1024 * 1024);
    const notReady = await api.call<{
      status: string;
      checks: Record<string, Array<{ status: string; output: string }>>;
    }>('GET', '/readiness');
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks['datadir:writable']?.[0]).toMatchObject({
      status: 'fail',
      output: expect.stringContaining('ENOSPC'),
    });
    const upload = await api.upload('v1', await helloBuild(tmp.dir, 'v1'));
    expect(upload.status, JSON.stringify(upload.body)).toBe(507);
    expect(upload.body).toMatchObject({
      error: { code: 'STORAGE_FULL', message: expect.stringContaining('ENOSPC: no space left on device') },
    });

    await unlink(filler);
    expect((await api.call('GET', '/readiness')).status).toBe(200);
    expect((await api.upload('v1', await helloBuild(tmp.dir, 'v1'))).status).toBe(201);
  }, 60_000);
});

describe('storage-full errors', () => {
  it('reads ENOSPC / EDQUOT from codes, causes, wrapped messages and SQLite', () => {
    const db = new DatabaseSync(':memory:');
    db.exec('pragma max_page_count = 2; create table t (x text)');
    let sqliteFull: unknown;
    try {
      for (let i = 0; i < 100; i++) db.prepare('insert into t values (?)').run('x'.repeat(2000));
    } catch (err) {
      sqliteFull = err;
    }
    db.close();
    expect(sqliteFull).toBeDefined();
    expect(storageFullCode(sqliteFull)).toBe('ENOSPC');
    expect(storageFullCode(Object.assign(new Error('write'), { code: 'EDQUOT' }))).toBe('EDQUOT');
    expect(
      storageFullCode(new Error('outer', { cause: Object.assign(new Error('x'), { code: 'ENOSPC' }) })),
    ).toBe('ENOSPC');
    expect(
      storageFullCode(new Error('artifact entry "a" could not be unpacked: ENOSPC: no space left on device')),
    ).toBe('ENOSPC');
    expect(storageFullCode(new Error('ENOENT: no such file'))).toBeUndefined();
    expect(storageFullError(sqliteFull)).toMatchObject({ code: 'STORAGE_FULL', status: 507 });
  });
});
