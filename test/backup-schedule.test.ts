// Scheduled backups: each one is written and verified, old ones are pruned by `keep`; a backup that
// cannot be written, or that does not verify, counts in gantry_backup_failures_total and fires the
// built-in alarm backup_failures through the alarm engine, which resolves with the next good backup.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlarmEngine } from '../src/alarms/engine.ts';
import { EVALUATION_GRACE_MS } from '../src/alarms/rules.ts';
import type { AlarmTransition } from '../src/alarms/types.ts';
import { AuditLog } from '../src/audit/log.ts';
import { SYSTEM_ACTOR } from '../src/auth/types.ts';
import { BACKUP_ALARM, backupAlarmRules } from '../src/backup/alarm.ts';
import { BackupScheduler } from '../src/backup/schedule.ts';
import { BackupService } from '../src/backup/service.ts';
import { openSqliteSnapshot } from '../src/backup/snapshot.ts';
import { parseConfig } from '../src/config/index.ts';
import type { BackupsConfig } from '../src/config/types.ts';
import { silentLogger } from '../src/lib/log.ts';
import { createMetricsEngine } from '../src/metrics/engine.ts';
import { openStore, type Store } from '../src/store/index.ts';

const DAY = 86_400_000;
let dir: string;
let store: Store;
const dbFile = () => path.join(dir, 'data', 'gantry.db');

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-backup-schedule-'));
  store = await openStore({ kind: 'sqlite', path: dbFile() });
  await store.services.upsert('shop');
  const audit = new AuditLog({ repo: store.audit });
  for (let i = 0; i < 3; i++) await audit.record({ actor: SYSTEM_ACTOR, action: 'test', details: { i } });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function scheduler(backupsDir: string, config: BackupsConfig) {
  const service = new BackupService({
    dataDir: path.join(dir, 'data'),
    dir: () => backupsDir,
    openSnapshot: () => openSqliteSnapshot(dbFile()),
    gantryVersion: 'test',
  });
  return new BackupScheduler({ backups: service, config: () => config, logger: silentLogger });
}

const hourly: BackupsConfig = { every: 3_600_000, keep: 30 * DAY, with_artifacts: false, notify: [] };
const metric = (s: BackupScheduler, name: string) =>
  s.metrics().find((m) => m.name === name)?.samples[0]?.value;

describe('scheduled backups', () => {
  it('writes and verifies a backup, and prunes those older than keep (never the newest)', async () => {
    const backups = path.join(dir, 'backups');
    await mkdir(backups);
    const old = 'gantry-backup-20200101T000000000Z.tar';
    await writeFile(path.join(backups, old), 'an old backup');
    // What a crash in the middle of a backup or a verification leaves behind is swept at start.
    await mkdir(path.join(backups, '.backup-x1'));
    await mkdir(path.join(backups, 'gantry-verify-x2'));
    await writeFile(path.join(backups, 'gantry-backup-20260101T000000000Z.tar.partial'), '');
    const s = scheduler(backups, hourly);
    await s.start();
    await s.stop();
    expect((await readdir(backups)).sort()).toEqual([old]);
    const outcome = await s.runOnce();
    expect(outcome).toMatchObject({ ok: true, name: expect.stringMatching(/^gantry-backup-/) });
    expect(await readdir(backups)).toEqual([outcome.name]);
    expect(metric(s, 'gantry_backup_failures_total')).toBe(0);
    expect(metric(s, 'gantry_backup_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(s.datapoint({ metric: 'backup_failures' })).toBe(0);
  });

  it('counts a backup that cannot be written, and one that does not verify, as failures', async () => {
    await writeFile(path.join(dir, 'a-file'), '');
    const unwritable = scheduler(path.join(dir, 'a-file', 'backups'), hourly);
    expect(await unwritable.runOnce()).toMatchObject({ ok: false, error: expect.stringMatching(/ENOTDIR/) });
    expect(metric(unwritable, 'gantry_backup_failures_total')).toBe(1);
    expect(unwritable.datapoint({ metric: 'backup_failures' })).toBe(1);

    // An audit entry altered behind the schema's back: the backup is written but does not verify.
    const raw = new DatabaseSync(dbFile());
    raw.exec('drop trigger audit_log_no_update');
    raw.exec("update audit_log set action = 'forged' where seq = 2");
    raw.close();
    const backups = path.join(dir, 'backups');
    const s = scheduler(backups, hourly);
    const outcome = await s.runOnce();
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringMatching(/hash chain breaks at entry #2/),
    });
    expect(metric(s, 'gantry_backup_failures_total')).toBe(1);
    expect(metric(s, 'gantry_backup_last_success_timestamp_seconds')).toBe(0);
  });

  it('fires the alarm backup_failures on a failure and resolves it with the next good backup', async () => {
    const loaded = parseConfig(
      `service: shop
run: { command: node server.js }
environments:
  staging: { listen: 127.0.0.1:18081 }
  production: { listen: 127.0.0.1:18080 }
notify:
  ops: [{ type: webhook, url: "http://127.0.0.1:9/hook" }]
backups: { every: 1h, notify: [ops] }
`,
      path.join(dir, 'gantry.yaml'),
    );
    const rules = backupAlarmRules(loaded.config);
    expect(rules).toMatchObject([{ name: BACKUP_ALARM, environment: 'production', notify: ['ops'] }]);
    const config = loaded.config.backups as BackupsConfig;

    let now = Date.now();
    // Time moves only when the test says so: the engine's timers wait until stopped.
    const clock = {
      now: () => now,
      sleep: (_ms: number, signal?: AbortSignal) =>
        new Promise<void>((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
    };
    let backupsDir = path.join(dir, 'missing-parent-file', 'backups');
    await writeFile(path.join(dir, 'missing-parent-file'), '');
    const service = new BackupService({
      dataDir: path.join(dir, 'data'),
      dir: () => backupsDir,
      openSnapshot: () => openSqliteSnapshot(dbFile()),
      gantryVersion: 'test',
    });
    const s = new BackupScheduler({ backups: service, config: () => config, logger: silentLogger });
    const engine = createAlarmEngine({
      config: () => loaded,
      metrics: createMetricsEngine({ service: 'shop', clock }),
      store,
      clock,
      extraMetrics: { datapoint: (q) => s.datapoint(q) },
    });
    const seen: AlarmTransition[] = [];
    engine.subscribe((t) => seen.push(t));
    await engine.start();
    const nextPeriod = async () => {
      now += 60_000 + EVALUATION_GRACE_MS;
      await engine.tick();
    };

    expect((await s.runOnce()).ok).toBe(false);
    await nextPeriod();
    expect(seen.map((t) => [t.alarm, t.environment, t.to])).toEqual([[BACKUP_ALARM, 'production', 'ALARM']]);

    backupsDir = path.join(dir, 'backups');
    expect((await s.runOnce()).ok).toBe(true);
    await nextPeriod();
    expect(seen.map((t) => t.to)).toEqual(['ALARM', 'OK']);
    await engine.stop();
  });
});
