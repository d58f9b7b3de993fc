import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReleaseConflictError } from '../src/store/index.ts';
import { release, storeKind, useStoreFixture } from './helpers/store.ts';

const { dir, open, query } = useStoreFixture();

describe('releases', () => {
  it('records a release, its transitions and its events in order', async () => {
    const store = await open();
    const created = await store.releases.create(release('rel_a'));
    expect(created).toMatchObject({ id: 'rel_a', state: 'pending', finishedAt: null, previousVersion: null });

    await store.releases.transition('rel_a', { state: 'starting', message: 'starting 1 instance' });
    const plan = { newInstanceIds: ['staging-v1-aaaa'], oldInstanceIds: [], step: 0 };
    await store.releases.savePlan('rel_a', plan, { type: 'instance.started', message: 'started' });
    await store.releases.appendEvent('rel_a', { type: 'instance.ready', message: 'ready', data: { ms: 12 } });
    const done = await store.releases.transition('rel_a', {
      state: 'succeeded',
      reason: 'Healthy',
      message: '1/1 instances ready',
    });

    expect(done).toMatchObject({
      state: 'succeeded',
      reason: 'Healthy',
      message: '1/1 instances ready',
      plan,
    });
    expect(done.finishedAt).toBe(done.updatedAt);
    expect(await store.releases.get('rel_a')).toEqual(done);

    const events = await store.releases.events('rel_a');
    expect(events.map((e) => [e.seq, e.type, e.state])).toEqual([
      [1, 'state', 'pending'],
      [2, 'state', 'starting'],
      [3, 'instance.started', null],
      [4, 'instance.ready', null],
      [5, 'state', 'succeeded'],
    ]);
    expect(events[3]?.data).toEqual({ ms: 12 });
    expect(events[4]?.data).toEqual({ reason: 'Healthy' });
    const ats = events.map((e) => e.at);
    expect([...ats].sort()).toEqual(ats);
    expect((await store.releases.events('rel_a', 3)).map((e) => e.seq)).toEqual([4, 5]);
  });

  it('fails clearly for a release that does not exist', async () => {
    const store = await open();
    await expect(store.releases.transition('rel_x', { state: 'failed', message: 'x' })).rejects.toMatchObject(
      {
        code: 'NOT_FOUND',
        message: 'release rel_x does not exist',
      },
    );
    await expect(store.releases.appendEvent('rel_x', { type: 'log', message: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await store.releases.get('rel_x')).toBeUndefined();
  });

  it('refuses a second active release per environment, naming the first', async () => {
    const store = await open();
    await store.releases.create(release('rel_a'));
    await store.releases.transition('rel_a', { state: 'verifying', message: 'waiting' });

    const second = store.releases.create(release('rel_b', { version: 'v2' }));
    await expect(second).rejects.toBeInstanceOf(ReleaseConflictError);
    await expect(second).rejects.toMatchObject({ activeReleaseId: 'rel_a' });
    expect(await store.releases.get('rel_b')).toBeUndefined();

    // Other environments are independent.
    await store.releases.create(release('rel_p', { environment: 'production' }));
    expect((await store.releases.listActive('shop')).map((r) => r.id)).toEqual(['rel_a', 'rel_p']);

    await store.releases.transition('rel_a', { state: 'failed', reason: 'NotReady', message: '0/1 ready' });
    const retried = await store.releases.create(release('rel_b', { version: 'v2' }));
    expect(retried.state).toBe('pending');
    expect((await store.releases.listActive()).map((r) => r.id)).toEqual(['rel_p', 'rel_b']);
  });

  it('sets the current version in the same transaction as the transition', async () => {
    const file = path.join(dir(), 'gantry.db');
    const store = await open(file);
    await store.releases.create(release('rel_a'));
    await store.releases.transition('rel_a', { state: 'switching', message: 'go', setCurrentVersion: 'v1' });
    expect(await store.environments.get('shop', 'staging')).toMatchObject({
      currentVersion: 'v1',
      currentReleaseId: 'rel_a',
    });
    await store.releases.transition('rel_a', { state: 'succeeded', message: 'done' });
    await store.releases.create(release('rel_b', { version: 'v2', previousVersion: 'v1' }));

    // A real failure at the last statement of the transaction (the event insert) must undo the
    // release update and the environment update before it.
    if (storeKind === 'sqlite') {
      await query(
        file,
        `create trigger fail_event before insert on release_events when new.message = 'boom'
         begin select raise(abort, 'injected failure'); end`,
      );
    } else {
      await query(
        file,
        `create function fail_event() returns trigger language plpgsql as $$
         begin if new.message = 'boom' then raise exception 'injected failure'; end if; return new; end $$`,
      );
      await query(
        file,
        'create trigger fail_event before insert on release_events for each row execute function fail_event()',
      );
    }
    await expect(
      store.releases.transition('rel_b', { state: 'switching', message: 'boom', setCurrentVersion: 'v2' }),
    ).rejects.toThrow(/injected failure/);

    expect(await store.environments.get('shop', 'staging')).toMatchObject({
      currentVersion: 'v1',
      currentReleaseId: 'rel_a',
    });
    expect(await store.releases.get('rel_b')).toMatchObject({ state: 'pending' });
    expect((await store.releases.events('rel_b')).map((e) => e.seq)).toEqual([1]);

    // The store stays usable after the rolled-back transaction.
    await store.releases.transition('rel_b', { state: 'switching', message: 'go', setCurrentVersion: 'v2' });
    expect(await store.environments.get('shop', 'staging')).toMatchObject({ currentVersion: 'v2' });
  });

  it('lists succeeded versions newest first, each once', async () => {
    const store = await open();
    const outcomes: Array<[string, 'succeeded' | 'failed' | 'rolled_back']> = [
      ['v1', 'succeeded'],
      ['v2', 'succeeded'],
      ['v3', 'failed'],
      ['v4', 'succeeded'],
      ['v5', 'rolled_back'],
      ['v2', 'succeeded'],
    ];
    for (const [i, [version, state]] of outcomes.entries()) {
      await store.releases.create(release(`rel_${i}`, { version }));
      await store.releases.transition(`rel_${i}`, { state, message: state });
    }
    await store.releases.create(release('rel_other', { environment: 'production', version: 'v9' }));
    await store.releases.transition('rel_other', { state: 'succeeded', message: 'ok' });

    expect(await store.releases.succeededVersions('shop', 'staging')).toEqual(['v2', 'v4', 'v1']);
    expect(await store.releases.succeededVersions('shop', 'staging', 2)).toEqual(['v2', 'v4']);
    expect(await store.releases.succeededVersions('shop', 'nowhere')).toEqual([]);

    const history = await store.releases.list({ service: 'shop', environment: 'staging' });
    expect(history.map((r) => r.id)).toEqual(['rel_5', 'rel_4', 'rel_3', 'rel_2', 'rel_1', 'rel_0']);
    const page = await store.releases.list({
      service: 'shop',
      environment: 'staging',
      before: history[2]?.createdAt,
      limit: 2,
    });
    expect(page.map((r) => r.id)).toEqual(['rel_2', 'rel_1']);
    expect(await store.releases.list({ service: 'shop' })).toHaveLength(7);
  });

  it('keeps event seq unique and gapless under many concurrent appends', async () => {
    const store = await open();
    await store.releases.create(release('rel_a'));
    const appended = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        store.releases.appendEvent('rel_a', { type: 'log', message: `line ${i}` }),
      ),
    );
    expect(new Set(appended.map((e) => e.seq)).size).toBe(200);
    const seqs = (await store.releases.events('rel_a')).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
  });

  it('keeps event seq gapless when two connections append to one file', async () => {
    const file = path.join(dir(), 'gantry.db');
    const a = await open(file);
    const b = await open(file);
    await a.releases.create(release('rel_a'));
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 === 0 ? a : b).releases.appendEvent('rel_a', { type: 'log', message: `line ${i}` }),
      ),
    );
    const seqs = (await b.releases.events('rel_a')).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
  });
});
