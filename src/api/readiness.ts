// /readiness checks that the data directory can take a write, not only that the store answers a
// read: with a full disk every change fails while a `select 1` still succeeds. The probe writes
// WRITE_PROBE_BYTES to a file in the data directory (where the SQLite store, artifacts and logs
// live), syncs it to the disk and removes it, so it fails as soon as a real write would.
import { open, unlink } from 'node:fs/promises';
import path from 'node:path';
import { storageFullCode } from '../lib/storage-full.ts';

/** Bytes written by each probe: more than a page or a WAL frame, so a nearly full disk fails too. */
export const WRITE_PROBE_BYTES = 64 * 1024;
const PROBE_FILE = '.readiness-probe';

export interface ReadinessCheck {
  status: 'pass' | 'fail';
  output?: string;
  time: string;
}

export async function dataDirWritable(dataDir: string, time: string): Promise<ReadinessCheck> {
  const file = path.join(dataDir, `${PROBE_FILE}-${process.pid}`);
  try {
    const handle = await open(file, 'w');
    try {
      await handle.write(Buffer.alloc(WRITE_PROBE_BYTES));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { status: 'pass', time };
  } catch (err) {
    const full = storageFullCode(err);
    const e = err as NodeJS.ErrnoException;
    const output = full
      ? `the data directory's disk is full (${full}): writes fail; free space there`
      : `the data directory cannot be written (${e.code ?? e.message})`;
    return { status: 'fail', output, time };
  } finally {
    await unlink(file).catch(() => {});
  }
}
