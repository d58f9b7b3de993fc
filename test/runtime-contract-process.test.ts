// The WorkloadDriver contract suite run against the process driver: the contract service copied
// into a directory artifact, run by this Node.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createProcessDriver } from '../src/runtime/index.ts';
import { CHILD_PATH, FIXTURES } from './fixtures/services/rt-harness.ts';
import { runDriverContract } from './helpers/driver-contract.ts';

const artifacts: string[] = [];
afterAll(async () => {
  for (const dir of artifacts) await rm(dir, { recursive: true, force: true });
});

runDriverContract('process', {
  makeDriver: (dataDir) =>
    createProcessDriver({ dataDir, backoff: { initialMs: 50, maxMs: 400, resetAfterMs: 60_000 } }),
  makeArtifact: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gantry-contract-artifact-'));
    artifacts.push(dir);
    await copyFile(join(FIXTURES, 'contract-service.mjs'), join(dir, 'contract-service.mjs'));
    return {
      ref: { kind: 'directory', directory: dir },
      missing: { kind: 'directory', directory: join(dir, 'no-such-version') },
      command: 'node contract-service.mjs',
      env: { PATH: CHILD_PATH },
    };
  },
});
