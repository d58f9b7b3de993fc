// The leader lock on PostgreSQL: a session-level advisory lock held on a connection of its own, so
// that of several Gantry servers on one database exactly one drives releases. PostgreSQL frees the
// lock when the holder's session ends (a clean stop, kill -9, a lost host once TCP keepalive gives
// up), and a waiting server, polling with pg_try_advisory_lock, then takes it.
import { createHash } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import { requireOnUse } from '../../lib/require-on-use.ts';

/** The advisory lock's bigint key, derived from a name no other program uses (pg_locks shows it as classid, objid). */
const LOCK_NAME = 'gantry:leader';
export const LEADER_LOCK_KEY = BigInt.asIntN(
  64,
  createHash('sha256').update(LOCK_NAME).digest().readBigUInt64BE(0),
);

/**
 * How often a waiting server asks for the lock: the takeover after the holder's session ends takes
 * at most this long plus the new leader's start (the lock itself is free at once on loopback).
 */
export const DEFAULT_POLL_MS = 500;
/** How often the holder checks that its session is still there: a leader that lost it must stop. */
export const DEFAULT_HEARTBEAT_MS = 2_000;
/** A heartbeat unanswered this long means the session is lost (an event-loop stall of a loaded machine is shorter). */
const HEARTBEAT_TIMEOUT_MS = 5_000;
/**
 * TCP keepalive on the lock's session (PostgreSQL's end; on ours Node sets only the idle time): a
 * holder whose host vanished without closing the connection is dropped by PostgreSQL after about
 * idle + interval × count = 15 s, not the system default of two hours, and its lock is free then.
 * The holder itself notices a silent connection sooner (heartbeat + its timeout = 7 s) and stops
 * before another server can lead.
 */
const KEEPALIVE = { idleS: 5, intervalS: 2, count: 5 };

export interface LockHolder {
  /** The application_name of the holder's session: `gantry <host> pid <pid>`. */
  name: string;
  /** Its client address, or null over a Unix socket. */
  address: string | null;
  since: string;
}

export interface PostgresLeaderLock {
  /** Resolves once this server holds the lock; `onWaiting` is called once, with the holder, if it must wait. */
  acquire(opts?: {
    onWaiting?: (holder: LockHolder | undefined) => void;
    signal?: AbortSignal;
  }): Promise<void>;
  /** Settles with the reason once a held lock is lost (the session ended or stopped answering). */
  readonly lost: Promise<Error>;
  /** Gives the lock up and closes its connection. */
  release(): Promise<void>;
}

export function createPostgresLeaderLock(opts: {
  url: string;
  pollMs?: number;
  heartbeatMs?: number;
}): PostgresLeaderLock {
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let client: pg.Client | undefined;
  let held = false;
  let released = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let markLost: (err: Error) => void = () => {};
  const lost = new Promise<Error>((resolve) => {
    markLost = resolve;
  });

  const loseLock = (err: Error) => {
    if (!held || released) return;
    held = false;
    clearInterval(heartbeat);
    client?.end().catch(() => {});
    client = undefined;
    markLost(err);
  };

  const connect = async (): Promise<pg.Client> => {
    const c = new (requireOnUse<typeof pg>('pg').Client)({
      connectionString: opts.url,
      application_name: `gantry ${os.hostname()} pid ${process.pid}`,
      keepAlive: true,
      keepAliveInitialDelayMillis: KEEPALIVE.idleS * 1000,
      // The query of a heartbeat that gets no answer fails instead of hanging.
      query_timeout: HEARTBEAT_TIMEOUT_MS,
    });
    c.on('error', (err) => loseLock(new Error(`the leader lock's connection failed: ${err.message}`)));
    c.on('end', () => loseLock(new Error("the leader lock's connection to PostgreSQL closed")));
    await c.connect();
    await c.query(
      `select set_config('tcp_keepalives_idle', $1, false), set_config('tcp_keepalives_interval', $2, false),
              set_config('tcp_keepalives_count', $3, false)`,
      [String(KEEPALIVE.idleS), String(KEEPALIVE.intervalS), String(KEEPALIVE.count)],
    );
    return c;
  };

  const tryOnce = async (): Promise<boolean> => {
    client ??= await connect();
    const { rows } = await client.query<{ locked: boolean }>(
      'select pg_try_advisory_lock($1::bigint) as locked',
      [LEADER_LOCK_KEY.toString()],
    );
    return rows[0]?.locked === true;
  };

  const holder = async (): Promise<LockHolder | undefined> => {
    if (!client) return undefined;
    const key = BigInt.asUintN(64, LEADER_LOCK_KEY);
    const { rows } = await client.query<{ name: string; address: string | null; since: Date }>(
      `select a.application_name as name, host(a.client_addr) as address, a.backend_start as since
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and l.classid = $1::oid and l.objid = $2::oid and l.objsubid = 1`,
      [(key >> 32n).toString(), (key & 0xffffffffn).toString()],
    );
    const row = rows[0];
    return row && { name: row.name, address: row.address, since: row.since.toISOString() };
  };

  return {
    lost,
    async acquire({ onWaiting, signal } = {}) {
      let told = false;
      for (;;) {
        signal?.throwIfAborted();
        try {
          if (await tryOnce()) break;
          if (!told) {
            told = true;
            onWaiting?.(await holder().catch(() => undefined));
          }
        } catch (err) {
          // The database is away (restarting, unreachable): a new connection at the next try.
          client?.end().catch(() => {});
          client = undefined;
          if (!told) {
            told = true;
            onWaiting?.(undefined);
          }
          if (signal?.aborted) throw err;
        }
        await sleep(pollMs, signal);
      }
      held = true;
      heartbeat = setInterval(() => {
        client
          ?.query('select 1')
          .catch((err: Error) =>
            loseLock(new Error(`the leader lock's session stopped answering: ${err.message}`)),
          );
      }, heartbeatMs);
      heartbeat.unref();
    },
    async release() {
      released = true;
      clearInterval(heartbeat);
      const c = client;
      client = undefined;
      // Ending the session frees the lock; an explicit unlock first says so sooner to a slow network.
      if (c) {
        if (held)
          await c
            .query('select pg_advisory_unlock($1::bigint)', [LEADER_LOCK_KEY.toString()])
            .catch(() => {});
        await c.end().catch(() => {});
      }
      held = false;
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
