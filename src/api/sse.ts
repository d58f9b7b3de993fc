// Server-Sent Events of one release: stored events after the client's last one, then live ones,
// then a final `end` event once the release is finished.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ReleaseEventBus } from '../rollout/events.ts';
import type { ReleaseEventRecord, ReleaseRecord, Store } from '../store/types.ts';

const HEARTBEAT_MS = 15_000;

export async function streamReleaseEvents(
  req: FastifyRequest,
  reply: FastifyReply,
  deps: { store: Pick<Store, 'releases'>; bus: ReleaseEventBus },
  release: ReleaseRecord,
  after: number,
): Promise<void> {
  const lastEventId = Number(req.headers['last-event-id']);
  let last = Number.isFinite(lastEventId) && lastEventId > after ? lastEventId : after;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 1000\n\n');

  let closed = false;
  const queue: Array<{ event?: ReleaseEventRecord; release?: ReleaseRecord }> = [];
  let replaying = true;
  const finish = (r: ReleaseRecord) => {
    if (closed) return;
    res.write(`event: end\ndata: ${JSON.stringify(r)}\n\n`);
    close();
  };
  const send = (item: { event?: ReleaseEventRecord; release?: ReleaseRecord }) => {
    if (closed) return;
    if (item.event && item.event.seq > last) {
      last = item.event.seq;
      res.write(`event: release-event\nid: ${item.event.seq}\ndata: ${JSON.stringify(item.event)}\n\n`);
    }
    if (item.release?.finishedAt) finish(item.release);
  };
  // Subscribe before reading the stored events so nothing falls between the two.
  const unsubscribe = deps.bus.subscribe(release.id, (item) => (replaying ? queue.push(item) : send(item)));
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    unsubscribe();
    res.end();
  };
  req.raw.on('close', close);

  for (const event of await deps.store.releases.events(release.id, last)) send({ event });
  replaying = false;
  for (const item of queue.splice(0)) send(item);
  const fresh = await deps.store.releases.get(release.id);
  if (fresh?.finishedAt) {
    for (const event of await deps.store.releases.events(release.id, last)) send({ event });
    finish(fresh);
  }
}
