// Loading gantry.yaml again while the server runs (a reload) happens in a worker thread: parsing
// and validating a large file takes long enough (hundreds of ms for 40,000 keys) to stall the API
// and the proxies if done on their event loop. Only the finished config (structured data) crosses
// back. The file is also capped in size (MAX_CONFIG_BYTES) before it is parsed.
import { Worker } from 'node:worker_threads';
import { ConfigError, type ConfigIssue } from './issues.ts';
import type { LoadedConfig } from './types.ts';

/** A load that takes longer than this is abandoned (the worker is stopped) and the reload fails. */
export const CONFIG_LOAD_TIMEOUT_MS = 60_000;
/** Heap of the loading worker: ample for MAX_CONFIG_BYTES of YAML. */
const WORKER_HEAP_MB = 256;

type WorkerAnswer =
  | { ok: true; loaded: LoadedConfig }
  | { ok: false; issues: ConfigIssue[] }
  | { ok: false; error: string };

/** Like loadConfigFile, in a worker thread: resolves to the config or rejects with its ConfigError. */
export function loadConfigFileOffThread(file: string): Promise<LoadedConfig> {
  // Run from source (type stripping) or from the build (dist/… .js).
  const script = new URL(
    import.meta.url.endsWith('.ts') ? './load-worker.ts' : './load-worker.js',
    import.meta.url,
  );
  const worker = new Worker(script, {
    workerData: { file },
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  return new Promise<LoadedConfig>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`loading ${file} took longer than ${CONFIG_LOAD_TIMEOUT_MS / 1000} s`));
    }, CONFIG_LOAD_TIMEOUT_MS);
    const settle = () => clearTimeout(timer);
    worker.once('message', (answer: WorkerAnswer) => {
      settle();
      if (answer.ok) resolve(answer.loaded);
      else if ('issues' in answer) reject(new ConfigError(answer.issues));
      else reject(new Error(`loading ${file} failed: ${answer.error}`));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settle();
      reject(new Error(`loading ${file} failed: ${err.message}`));
    });
    worker.once('exit', (code) => {
      settle();
      reject(new Error(`loading ${file} stopped (worker exit ${code})`));
    });
  });
}
