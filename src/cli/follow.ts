// Follows a release's event stream to its end, reconnecting with Last-Event-ID when the stream drops.
import type { ReleaseEventRecord, ReleaseRecord } from '../api/types.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import type { GantryClient } from './client.ts';
import { ApiError, ConnectionError, describeFetchFailure } from './errors.ts';
import { parseSse } from './sse.ts';

export interface FollowHandlers {
  onEvent(event: ReleaseEventRecord): void;
  /** Called before each reconnection attempt, with why the stream was lost. */
  onReconnect?(attempt: number, reason: string): void;
}

export interface FollowOptions {
  clock?: Clock;
  /** Consecutive failed attempts before giving up (a server restart takes a few seconds). */
  maxAttempts?: number;
  signal?: AbortSignal;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5_000;
const DEFAULT_MAX_ATTEMPTS = 10;

/** Resolves with the release in its terminal state, after every event was handed to `onEvent` once. */
export async function followRelease(
  client: GantryClient,
  id: string,
  handlers: FollowHandlers,
  opts: FollowOptions = {},
): Promise<ReleaseRecord> {
  const clock = opts.clock ?? systemClock;
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  let lastSeq: number | undefined;
  let failures = 0;
  let serverRetryMs: number | undefined;
  let connected = false;

  for (;;) {
    let reason: string;
    try {
      const body = await client.openReleaseEvents(id, lastSeq, opts.signal);
      connected = true;
      for await (const msg of parseSse(body)) {
        if (msg.retry !== undefined) serverRetryMs = msg.retry;
        if (msg.event === 'end') return JSON.parse(msg.data) as ReleaseRecord;
        if (msg.event !== 'release-event') continue;
        const event = JSON.parse(msg.data) as ReleaseEventRecord;
        // After a reconnect the server resends from Last-Event-ID; never show an event twice.
        if (lastSeq !== undefined && event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        // Only progress counts as a working stream; a server resending old events must not loop forever.
        failures = 0;
        handlers.onEvent(event);
      }
      reason = 'the server closed the event stream';
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (err instanceof ApiError && err.status < 500) throw err;
      // A server that was never reachable is not a dropped stream: say so now, not after every retry.
      if (err instanceof ConnectionError && !connected) throw err;
      if (err instanceof SyntaxError) {
        throw new Error(`the server sent an unreadable event for release ${id}: ${err.message}`);
      }
      reason = err instanceof ConnectionError ? err.reason : errorReason(err);
    }
    failures++;
    if (failures > maxAttempts) {
      throw new Error(
        `lost the event stream of release ${id} (${reason}) and could not reconnect after ${maxAttempts} attempts; run \`gantry watch ${id}\` to follow it again`,
      );
    }
    handlers.onReconnect?.(failures, reason);
    const backoff = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
    await clock.sleep(failures === 1 && serverRetryMs !== undefined ? serverRetryMs : backoff, opts.signal);
  }
}

function errorReason(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return describeFetchFailure(err);
}
