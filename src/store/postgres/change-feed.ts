// Changes announced between Gantry servers on one PostgreSQL database with LISTEN/NOTIFY, on a
// connection of its own. A server does not hear its own announcements. Notifications sent while the
// connection was down are lost, so after a reconnection every subscriber is told to resync.
import type pg from 'pg';
import type { Logger } from '../../lib/log.ts';
import { requireOnUse } from '../../lib/require-on-use.ts';
import type { ChangeFeed, ChangeSubscriber } from '../change-feed.ts';

/** Between reconnection attempts after the feed's connection is lost. */
const RECONNECT_MS = 1_000;
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_999;

export async function openPostgresChangeFeed(opts: {
  url: string;
  logger: Logger;
  reconnectMs?: number;
}): Promise<ChangeFeed> {
  const reconnectMs = opts.reconnectMs ?? RECONNECT_MS;
  const subscribers = new Map<string, Set<ChangeSubscriber>>();
  let client: pg.Client | undefined;
  let closed = false;
  let reconnecting: NodeJS.Timeout | undefined;

  const connect = async (): Promise<pg.Client> => {
    const c = new (requireOnUse<typeof pg>('pg').Client)({ connectionString: opts.url, keepAlive: true });
    let ownPid: number | undefined;
    c.on('notification', (msg) => {
      if (msg.processId === ownPid) return;
      for (const s of subscribers.get(msg.channel) ?? []) s.onChange(msg.payload ?? '');
    });
    const onDown = (err?: Error) => {
      if (client !== c || closed) return;
      client = undefined;
      c.end().catch(() => {});
      opts.logger.warn({ err }, 'lost the connection that hears changes from other servers: reconnecting');
      scheduleReconnect();
    };
    c.on('error', onDown);
    c.on('end', () => onDown());
    await c.connect();
    ownPid = (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    for (const channel of subscribers.keys()) await c.query(`listen ${quoteIdent(channel)}`);
    return c;
  };

  const scheduleReconnect = () => {
    reconnecting = setTimeout(() => {
      connect().then(
        (c) => {
          if (closed) return void c.end().catch(() => {});
          client = c;
          opts.logger.info('hearing changes from other servers again: reloading what they may have changed');
          for (const set of subscribers.values()) for (const s of set) s.onResync();
        },
        () => scheduleReconnect(),
      );
    }, reconnectMs);
    reconnecting.unref();
  };

  client = await connect();

  return {
    async subscribe(channel, subscriber) {
      let set = subscribers.get(channel);
      if (!set) {
        set = new Set();
        subscribers.set(channel, set);
        await client?.query(`listen ${quoteIdent(channel)}`);
      }
      set.add(subscriber);
      return () => {
        set.delete(subscriber);
      };
    },
    async publish(channel, payload) {
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
        throw new Error(`a change announcement on ${channel} is longer than ${MAX_PAYLOAD_BYTES} bytes`);
      if (!client)
        throw new Error('not connected to PostgreSQL: other servers cannot be told of this change');
      await client.query('select pg_notify($1, $2)', [channel, payload]);
    },
    async close() {
      closed = true;
      clearTimeout(reconnecting);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
