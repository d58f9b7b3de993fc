// A scheduled backup is verified in a worker thread: restoring a store of a million log lines into
// a scratch store is tens of seconds of work, which on the server's event loop would stall the API
// and the proxies. Only the report (structured data) crosses back.
import { Worker } from 'node:worker_threads';
import { type ErrorCode, GantryError } from '../lib/errors.ts';
import type { VerifyReport } from './verify.ts';

type WorkerAnswer =
  | { ok: true; report: VerifyReport }
  | { ok: false; code?: ErrorCode; message: string; hint?: string };

/** Like verifyBackup, in a worker thread: resolves to the report or rejects with the same error. */
export function verifyBackupOffThread(file: string, opts: { tempDir?: string } = {}): Promise<VerifyReport> {
  // Run from source (type stripping) or from the build (dist/… .js).
  const script = new URL(
    import.meta.url.endsWith('.ts') ? './verify-worker.ts' : './verify-worker.js',
    import.meta.url,
  );
  const worker = new Worker(script, { workerData: { file, ...opts } });
  return new Promise<VerifyReport>((resolve, reject) => {
    worker.once('message', (answer: WorkerAnswer) => {
      if (answer.ok) resolve(answer.report);
      else if (answer.code)
        reject(new GantryError(answer.code, answer.message, answer.hint ? { hint: answer.hint } : {}));
      else reject(new Error(answer.message));
      void worker.terminate();
    });
    worker.once('error', (err) => reject(new Error(`verifying ${file} failed: ${err.message}`)));
    worker.once('exit', (code) => reject(new Error(`verifying ${file} stopped (worker exit ${code})`)));
  });
}
