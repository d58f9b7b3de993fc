// Which of several Gantry servers on one database drives releases: the one holding the leader lock.
// A server that finds the lock taken logs who holds it, answers on its API address as a standby
// (standby-api.ts), and waits; when the leader's session ends it takes the lock and starts the way
// a restarted server does, adopting instances and resuming or rolling back releases in flight.
// An SQLite store is opened by one server process only: there is nothing to elect.
import type { Logger } from '../lib/log.ts';
import { createPostgresLeaderLock, type LockHolder } from '../store/postgres/leader-lock.ts';
import { type StandbyApi, startStandbyApi } from './standby-api.ts';

export interface Leadership {
  /** Settles if the lock is lost while leading: the server must stop driving releases at once. */
  readonly lost: Promise<Error>;
  /** Gives the lock up (after everything that drives releases has stopped). */
  release(): Promise<void>;
}

/** Where the store is: only a PostgreSQL store can be shared by several servers. */
export type LeaderStore = { kind: 'sqlite' } | { kind: 'postgresql'; url: string };

export async function becomeLeader(opts: {
  store: LeaderStore;
  /** The API's address, where a standby answers while it waits. */
  listen: { host: string; port: number };
  version: string;
  logger: Logger;
  pollMs?: number;
}): Promise<Leadership> {
  const { store, logger } = opts;
  if (store.kind !== 'postgresql') return { lost: new Promise(() => {}), release: async () => {} };

  const lock = createPostgresLeaderLock({ url: store.url, ...(opts.pollMs ? { pollMs: opts.pollMs } : {}) });
  const abort = new AbortController();
  let standby: Promise<StandbyApi> | undefined;
  let leader = 'another Gantry server';
  const waitStarted = Date.now();
  try {
    await lock.acquire({
      signal: abort.signal,
      onWaiting: (holder) => {
        leader = describeHolder(holder);
        // Said once the standby answers, so that whoever reads it can ask.
        standby = startStandbyApi({ ...opts.listen, version: opts.version, leader: () => leader }).then(
          (api) => {
            logger.warn(
              { leader, api: `${opts.listen.host}:${opts.listen.port}` },
              'another Gantry server holds the leader lock on this database: waiting as a standby (the API answers 503 until this server takes over)',
            );
            return api;
          },
        );
        standby.catch((err: unknown) => abort.abort(err));
      },
    });
  } catch (err) {
    await lock.release();
    throw abort.signal.aborted ? abort.signal.reason : err;
  }
  if (standby) {
    await (await standby).close();
    logger.info({ waitedMs: Date.now() - waitStarted }, 'took the leader lock: starting as the leader');
  }
  return { lost: lock.lost, release: () => lock.release() };
}

function describeHolder(holder: LockHolder | undefined): string {
  if (!holder) return 'another Gantry server';
  return `${holder.name}${holder.address ? ` (${holder.address})` : ''}, leader since ${holder.since}`;
}
