// Scheduled backups (`backups:` in gantry.yaml): one every `every`, counted from the newest backup
// on disk so a restarted server keeps the pace; each verified right after it is written, in a
// worker thread (a backup that does not restore is a failure); older than `keep` pruned. Failures
// are counted for /metrics and feed the alarm backup_failures (consecutive failures since the last
// good backup).
import path from 'node:path';
import type { BackupsConfig } from '../config/types.ts';
import type { Logger } from '../lib/log.ts';
import type { ExtraMetric } from '../metrics/prometheus.ts';
import { BACKUP_METRIC } from './alarm.ts';
import type { BackupService } from './service.ts';
import { verifyBackupOffThread } from './verify-off-thread.ts';

export interface BackupSchedulerOptions {
  backups: BackupService;
  /** The current `backups:` section; no scheduled backups while it is absent. */
  config: () => BackupsConfig | undefined;
  logger: Logger;
  now?: () => number;
}

export interface BackupOutcome {
  ok: boolean;
  name?: string;
  error?: string;
}

/** Longest sleep between looks at the schedule, so a changed `every` or a clock jump is noticed. */
const MAX_SLEEP_MS = 60_000;
/** After a failure the next attempt comes this soon (or after `every`, if shorter), not an hour later. */
export const FAILURE_RETRY_MS = 5 * 60_000;

export class BackupScheduler {
  readonly #opts: BackupSchedulerOptions;
  readonly #now: () => number;
  #failuresTotal = 0;
  #failuresSinceSuccess = 0;
  #lastSuccessAt: number | undefined;
  /** When the last backup was started (from the newest on disk at start), and whether it was good. */
  #lastAttempt: { at: number; ok: boolean } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #stopped = true;

  constructor(opts: BackupSchedulerOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.#opts.backups.sweepLeftovers();
    const newest = (await this.#opts.backups.list())[0];
    if (newest) {
      this.#lastSuccessAt = Date.parse(newest.createdAt);
      this.#lastAttempt = { at: this.#lastSuccessAt, ok: true };
    }
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Takes, verifies and prunes one backup now (what the timer does when one is due). */
  runOnce(): Promise<BackupOutcome> {
    const run = this.#run();
    this.#running = run;
    return run;
  }

  metrics(): ExtraMetric[] {
    return [
      {
        name: 'gantry_backup_failures_total',
        help: 'Scheduled backups that failed to be written or to verify, since the server started.',
        type: 'counter',
        samples: [{ value: this.#failuresTotal }],
      },
      {
        name: 'gantry_backup_last_success_timestamp_seconds',
        help: 'When the newest good backup was taken (Unix seconds); 0 before the first.',
        type: 'gauge',
        samples: [{ value: this.#lastSuccessAt === undefined ? 0 : Math.floor(this.#lastSuccessAt / 1000) }],
      },
    ];
  }

  /** The alarm's datapoint: failures since the last good backup; undefined for any other metric. */
  datapoint(q: { metric: string }): number | undefined {
    return q.metric === BACKUP_METRIC ? this.#failuresSinceSuccess : undefined;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    const config = this.#opts.config();
    const last = this.#lastAttempt;
    const due = !config
      ? Number.POSITIVE_INFINITY
      : last
        ? last.at + (last.ok ? config.every : Math.min(config.every, FAILURE_RETRY_MS))
        : this.#now();
    const wait = Math.min(MAX_SLEEP_MS, Math.max(0, due - this.#now()));
    this.#timer = setTimeout(() => {
      if (config && this.#opts.config() === config && this.#now() >= due)
        this.runOnce().finally(() => this.#schedule());
      else this.#schedule();
    }, wait);
    this.#timer.unref();
  }

  async #run(): Promise<BackupOutcome> {
    const config = this.#opts.config();
    const log = this.#opts.logger;
    let name: string | undefined;
    const startedAt = this.#now();
    try {
      const created = await this.#opts.backups.create({ withArtifacts: config?.with_artifacts ?? false });
      name = created.name;
      const verified = await verifyBackupOffThread(created.file, { tempDir: path.dirname(created.file) });
      this.#failuresSinceSuccess = 0;
      this.#lastAttempt = { at: startedAt, ok: true };
      this.#lastSuccessAt = Date.parse(created.manifest.createdAt);
      log.info(
        { backup: name, bytes: created.bytes, rows: Object.values(verified.rows).reduce((a, b) => a + b, 0) },
        'backup written and verified',
      );
      if (config) {
        const removed = await this.#opts.backups.prune(this.#now() - config.keep);
        if (removed.length > 0) log.info({ removed }, 'pruned backups older than backups.keep');
      }
      return { ok: true, name };
    } catch (err) {
      this.#lastAttempt = { at: startedAt, ok: false };
      this.#failuresTotal++;
      this.#failuresSinceSuccess++;
      const error = err instanceof Error ? err.message : String(err);
      log.error({ err, backup: name }, name ? 'a backup did not verify' : 'a backup could not be written');
      return { ok: false, ...(name ? { name } : {}), error };
    }
  }
}
