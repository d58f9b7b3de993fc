// The worker side of verifyBackupOffThread: verifies one backup (a full restore into a scratch
// store) and posts back the report or the error, so none of that runs on the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { GantryError } from '../lib/errors.ts';
import { verifyBackup } from './verify.ts';

const { file, tempDir } = workerData as { file: string; tempDir?: string };
try {
  parentPort?.postMessage({ ok: true, report: await verifyBackup(file, tempDir ? { tempDir } : {}) });
} catch (err) {
  parentPort?.postMessage(
    err instanceof GantryError
      ? { ok: false, code: err.code, message: err.message, hint: err.hint }
      : { ok: false, message: err instanceof Error ? err.message : String(err) },
  );
}
