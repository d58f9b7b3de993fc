// The incident repository on one database (SQLite file or PostgreSQL): one incident in progress per
// environment even across two stores (two servers) racing, idempotent entries, guarded updates,
// filters.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Store } from '../src/store/index.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();

/** A store on the test's one database: call twice for two servers sharing it. */
function open(): Promise<Store> {
  return fixture.open(path.join(fixture.dir(), 'gantry.db'));
}

const at = '2026-05-05T12:00:00.000Z';

function incident(id: string, environment = 'production') {
  return {
    id,
    service: 'shop',
    environment,
    description: `high-5xx in ${environment}`,
    severity: 'P2' as const,
    openedAt: at,
    alarm: 'high-5xx',
  };
}

describe('incident repository', () => {
  it('keeps one incident in progress per environment, also when two stores race', async () => {
    const [a, b] = [await open(), await open()];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        (n % 2 ? a : b).incidents.open(incident(`inc_${n}`), [{ at, type: 'opened', message: 'opened' }]),
      ),
    );
    expect(results.filter((r) => r.opened)).toHaveLength(1);
    expect(new Set(results.map((r) => r.incident.id)).size).toBe(1);
    const winner = results[0]?.incident.id as string;
    expect(await a.incidents.entries(winner)).toHaveLength(1);

    const other = await a.incidents.open(incident('inc_staging', 'staging'), []);
    expect(other).toMatchObject({ opened: true, incident: { id: 'inc_staging', alarms: ['high-5xx'] } });

    await a.incidents.update(winner, { ifStatus: ['open'], set: { status: 'resolved', resolvedAt: at } });
    expect((await b.incidents.open(incident('inc_next'), [])).opened).toBe(true);
  });

  it('skips entries whose key it has, adds alarms once, and guards updates by status', async () => {
    const store = await open();
    await store.incidents.open(incident('inc_1'), []);
    const entry = {
      at,
      type: 'alarm',
      message: 'alarm high-5xx → ALARM',
      key: 'alarm:alt_1',
      data: { n: 1 },
    };
    await store.incidents.update('inc_1', { entries: [entry] });
    await store.incidents.update('inc_1', { entries: [entry, { ...entry, key: 'alarm:alt_2' }] });
    await store.incidents.update('inc_1', { addAlarm: 'api-down' });
    await store.incidents.update('inc_1', {
      addAlarm: 'api-down',
      entries: [{ at, type: 'note', message: 'x', by: 'al' }],
    });
    expect((await store.incidents.entries('inc_1')).map((e) => [e.seq, e.type, e.by, e.data])).toEqual([
      [1, 'alarm', null, { n: 1 }],
      [2, 'alarm', null, { n: 1 }],
      [3, 'note', 'al', null],
    ]);
    expect((await store.incidents.get('inc_1'))?.alarms).toEqual(['high-5xx', 'api-down']);

    const refused = await store.incidents.update('inc_1', {
      ifStatus: ['acknowledged'],
      set: { status: 'resolved' },
      entries: [{ at, type: 'resolved', message: 'resolved' }],
    });
    expect(refused).toBeUndefined();
    expect(await store.incidents.entries('inc_1')).toHaveLength(3);
    expect(await store.incidents.update('inc_nope', { set: { assignee: 'x' } })).toBeUndefined();
  });

  it('lists newest first with filters', async () => {
    const store = await open();
    await store.incidents.open({ ...incident('inc_a'), openedAt: '2026-05-01T00:00:00.000Z' }, []);
    await store.incidents.update('inc_a', { set: { status: 'resolved' } });
    await store.incidents.open({ ...incident('inc_b', 'staging'), openedAt: '2026-05-03T00:00:00.000Z' }, []);
    await store.incidents.open({ ...incident('inc_c'), openedAt: '2026-05-04T00:00:00.000Z' }, []);
    const ids = async (q: Parameters<Store['incidents']['list']>[0]) =>
      (await store.incidents.list(q)).map((i) => i.id);
    expect(await ids({})).toEqual(['inc_c', 'inc_b', 'inc_a']);
    expect(await ids({ environment: 'production' })).toEqual(['inc_c', 'inc_a']);
    expect(await ids({ status: ['open', 'acknowledged'] })).toEqual(['inc_c', 'inc_b']);
    expect(await ids({ since: '2026-05-02T00:00:00.000Z', limit: 1 })).toEqual(['inc_c']);
    expect(await ids({ service: 'other' })).toEqual([]);
    expect((await store.incidents.findActive('shop', 'production'))?.id).toBe('inc_c');
  });
});
