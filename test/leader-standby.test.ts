// becomeLeader on a real PostgreSQL: the first server leads at once; the second logs who leads,
// answers as a standby on its API address (health passes, readiness and every other route 503),
// and leads once the first gives the lock up, its standby answers gone. SQLite elects nothing.
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthBody } from '../src/api/types.ts';
import { becomeLeader, type Leadership } from '../src/app/leader.ts';
import { createLogger, silentLogger } from '../src/lib/log.ts';
import { freePort, waitFor } from './helpers/gantry.ts';
import { freshPostgresDatabase, requirePostgres } from './helpers/postgres.ts';

const held: Leadership[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((l) => l.release()));
});

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('becomeLeader', () => {
  it('elects nothing on SQLite', async () => {
    const l = await becomeLeader({
      store: { kind: 'sqlite' },
      listen: { host: '127.0.0.1', port: 0 },
      version: 'test',
      logger: silentLogger,
    });
    await l.release();
  });

  it.skipIf(requirePostgres() === 'skip')(
    'makes a second server a standby until the first gives the lock up',
    async () => {
      const url = await freshPostgresDatabase();
      const store = { kind: 'postgresql' as const, url };
      const first = await becomeLeader({
        store,
        listen: { host: '127.0.0.1', port: await freePort() },
        version: 'test',
        logger: silentLogger,
      });
      held.push(first);

      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const log = capture();
      let second: Leadership | undefined;
      const electing = becomeLeader({
        store,
        listen: { host: '127.0.0.1', port },
        version: 'test',
        logger: log.logger,
        pollMs: 100,
      }).then((l) => {
        second = l;
        held.push(l);
      });
      const waiting = await waitFor('the standby to say so', async () =>
        log.lines.find((l) => String(l.msg).includes('waiting as a standby')),
      );
      expect(waiting.leader).toMatch(
        new RegExp(`^gantry .+ pid ${process.pid} \\(127\\.0\\.0\\.1\\), leader since `),
      );
      expect(waiting.api).toBe(`127.0.0.1:${port}`);

      const health = await waitFor('the standby API', () => fetch(`${base}/health`).catch(() => undefined));
      expect(health.status).toBe(200);
      const readiness = await fetch(`${base}/readiness`);
      expect(readiness.status).toBe(503);
      const body = (await readiness.json()) as HealthBody;
      expect(body.status).toBe('fail');
      expect(body.checks['leader:lock']?.[0]?.output).toMatch(/^standby: gantry .* holds the leader lock/);
      for (const [method, p] of [
        ['GET', '/api/v1/status'],
        ['POST', '/api/v1/releases'],
      ] as const) {
        const res = await fetch(base + p, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('STANDBY');
      }
      expect(second).toBeUndefined();

      await first.release();
      await electing;
      expect(second).toBeDefined();
      expect(log.lines.some((l) => l.msg === 'took the leader lock: starting as the leader')).toBe(true);
      await expect(fetch(`${base}/health`)).rejects.toThrow();
    },
  );

  it.skipIf(requirePostgres() === 'skip')(
    'fails a standby that cannot listen on its API address',
    async () => {
      const url = await freshPostgresDatabase();
      const store = { kind: 'postgresql' as const, url };
      const listen = { host: '127.0.0.1', port: await freePort() };
      held.push(await becomeLeader({ store, listen, version: 'test', logger: silentLogger }));
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(listen.port, listen.host, r));
      try {
        await expect(becomeLeader({ store, listen, version: 'test', logger: silentLogger })).rejects.toThrow(
          /EADDRINUSE/,
        );
      } finally {
        blocker.close();
      }
    },
  );
});
