// `--wait` and `watch`: follow a release to its end, show it live (or as JSON lines), exit with its outcome.
import type { ReleaseEventRecord, ReleaseRecord } from '../api/types.ts';
import type { GantryClient } from './client.ts';
import { followRelease } from './follow.ts';
import { exitCodeForRelease, formatOutcome } from './format.ts';
import { type ResolvedIo, writeJson, writeLine } from './io.ts';
import { ReleaseProgress } from './progress.ts';

/**
 * Returns the exit code: 0 when the release succeeded, 1 when it failed, was aborted or rolled back.
 * `known` is the release as last fetched, whose version the canary step lines name.
 */
export async function waitForRelease(
  io: ResolvedIo,
  client: GantryClient,
  id: string,
  json: boolean,
  known?: ReleaseRecord,
): Promise<number> {
  if (json) {
    const release = await followRelease(client, id, {
      onEvent: (event: ReleaseEventRecord) => writeJson(io.stdout, event),
    });
    writeJson(io.stdout, release);
    return exitCodeForRelease(release);
  }
  const progress = new ReleaseProgress(io.stdout, id, known ? { version: known.version } : {});
  let release: ReleaseRecord;
  try {
    release = await followRelease(client, id, {
      onEvent: (event) => progress.event(event),
      onReconnect: (attempt, reason) => {
        if (attempt > 1)
          progress.line(`… lost the event stream (${reason}); reconnecting (attempt ${attempt})`);
      },
    });
  } finally {
    progress.stop();
  }
  writeLine(io.stdout, formatOutcome(release, progress.canarySteps));
  return exitCodeForRelease(release);
}
