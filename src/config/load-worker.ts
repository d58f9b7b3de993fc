// The worker side of loadConfigFileOffThread: reads, parses and validates one gantry.yaml and posts
// back the loaded config or the problems found, so none of that runs on the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from './issues.ts';
import { loadConfigFile } from './load.ts';

const { file } = workerData as { file: string };
try {
  parentPort?.postMessage({ ok: true, loaded: await loadConfigFile(file) });
} catch (err) {
  if (err instanceof ConfigError) parentPort?.postMessage({ ok: false, issues: err.issues });
  else parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
}
