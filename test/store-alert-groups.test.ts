// Migration 018: alert groups stored by an older server, keyed by alarm and environment only, gain
// their service in the key, so that the notifier of that service finds its firing group again (and
// acknowledges it) after the upgrade.
import path from 'node:path';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { groupKeyOf } from '../src/notify/alert.ts';
import { applyMigrations } from '../src/store/migrate.ts';
import { migrations } from '../src/store/migrations/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const { dir, open, database } = useStoreFixture();

const before018 = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '018'));

describe('migration 018: alert groups by service', () => {
  it('re-keys stored groups and outbox rows with their service', async () => {
    const file = path.join(dir(), 'old.db');
    const db = await database(file);
    await applyMigrations(db, before018);
    const oldKey = '{}:{alertname="high-5xx", environment="production"}';
    const at = '2026-12-01T00:00:00.000Z';
    const old = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await old
      .insertInto('notification_alerts')
      .values({
        group_key: oldKey,
        service: 'shop',
        alarm: 'high-5xx',
        environment: 'production',
        status: 'firing',
        episode_id: 'ep1',
        alert: '{}',
        receivers: '["oncall"]',
        notified: 'firing',
        last_notified_at: at,
        repeats: 0,
        acked_at: null,
        acked_by: null,
        updated_at: at,
      })
      .execute();
    await old
      .insertInto('notification_outbox')
      .values({
        id: 'd1',
        group_key: oldKey,
        service: 'shop',
        alarm: 'high-5xx',
        environment: 'production',
        receiver: 'oncall',
        channel_index: 0,
        channel_type: 'webhook',
        kind: 'firing',
        payload: '{}',
        status: 'pending',
        attempts: 0,
        next_attempt_at: at,
        claimed_by: null,
        claimed_until: null,
        last_error: null,
        created_at: at,
        updated_at: at,
        delivered_at: null,
      })
      .execute();
    await db.destroy();

    const store = await open(file);
    const key = groupKeyOf('high-5xx', 'production', 'shop');
    expect(key).toBe('{}:{alertname="high-5xx", environment="production", service="shop"}');
    expect(await store.notifications.alerts.get(oldKey)).toBeUndefined();
    expect(await store.notifications.alerts.get(key)).toMatchObject({ service: 'shop', status: 'firing' });
    expect((await store.notifications.outbox.list({})).map((d) => d.groupKey)).toEqual([key]);
  });
});
