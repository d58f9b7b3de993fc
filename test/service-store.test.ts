// The store as one service of a server with several sees it (app/service-store.ts), on the real
// store: log search and retention count only the service's lines (and those stored before lines
// named a service).
import { describe, expect, it } from 'vitest';
import { serviceStore } from '../src/app/service-store.ts';
import type { NewLogLine } from '../src/store/types.ts';
import { useStoreFixture } from './helpers/store.ts';

const fixture = useStoreFixture();

function line(service: string | undefined, message: string, at: string): NewLogLine {
  return {
    ...(service !== undefined ? { service } : {}),
    at,
    environment: 'production',
    version: 'v1',
    instance: `production-v1-${service ?? 'old'}`,
    stream: 'stdout',
    level: 'info',
    message,
    fields: null,
    raw: message,
  };
}

describe('serviceStore', () => {
  it("searches and prunes the service's log lines and the unnamed ones, never another's", async () => {
    const store = await fixture.open(`${fixture.dir()}/gantry.db`);
    await store.logs.append([
      line(undefined, 'before services', '2026-05-01T10:00:00.000Z'),
      line('api', 'api old', '2026-05-01T11:00:00.000Z'),
      line('web', 'web old', '2026-05-01T11:00:00.000Z'),
      line('api', 'api new', '2026-05-01T13:00:00.000Z'),
    ]);
    const api = serviceStore(store, 'api');
    const messages = async (s = api) => (await s.logs.search({ limit: 10 })).map((l) => l.message);
    expect(await messages()).toEqual(['api new', 'api old', 'before services']);
    expect(await api.logs.totalBytes()).toBe(['api new', 'api old', 'before services'].join('').length);

    expect(await api.logs.pruneBefore('2026-05-01T12:00:00.000Z')).toEqual({ lines: 2, bytes: 22 });
    expect(await messages()).toEqual(['api new']);
    expect(await messages(serviceStore(store, 'web'))).toEqual(['web old']);
    await api.logs.pruneOldest(1);
    expect(await store.logs.search({ limit: 10 })).toMatchObject([{ message: 'web old', service: 'web' }]);
  });
});
