// The CLI's event-stream reading: the SSE parser on awkward chunkings, and followRelease giving up.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GantryClient } from '../src/cli/client.ts';
import { followRelease } from '../src/cli/follow.ts';
import { parseSse, type SseMessage } from '../src/cli/sse.ts';
import type { Clock } from '../src/lib/clock.ts';

async function parseChunks(chunks: string[]): Promise<SseMessage[]> {
  async function* bytes() {
    for (const c of chunks) yield new TextEncoder().encode(c);
  }
  const out: SseMessage[] = [];
  for await (const m of parseSse(bytes())) out.push(m);
  return out;
}

describe('parseSse', () => {
  it.each([
    ['LF lines', ['event: a\nid: 1\ndata: x\n\n']],
    ['CRLF lines', ['event: a\r\nid: 1\r\ndata: x\r\n\r\n']],
    ['CR lines', ['event: a\rid: 1\rdata: x\r\r']],
    ['CR lines split after each CR', ['event: a\r', 'id: 1\r', 'data: x\r', '\r']],
    ['a CRLF split across chunks', ['event: a\r', '\nid: 1\r\ndata: x\r', '\n\r\n']],
    ['one byte at a time', [...'event: a\nid: 1\ndata: x\n\n']],
    ['a comment and an unknown field', [': keep-alive\n\nevent: a\nfoo: bar\nid: 1\ndata: x\n\n']],
  ])('reads %s', async (_name, chunks) => {
    expect(await parseChunks(chunks)).toEqual([{ event: 'a', data: 'x', id: '1', retry: undefined }]);
  });

  it('joins data lines, keeps the id and retry across messages, drops an unterminated one', async () => {
    const msgs = await parseChunks([
      'retry: 250\n\nid: 7\ndata: one\ndata:two\n\ndata: {"a":1}\n\ndata: cut',
    ]);
    expect(msgs).toEqual([
      { event: 'message', data: 'one\ntwo', id: '7', retry: 250 },
      { event: 'message', data: '{"a":1}', id: '7', retry: 250 },
    ]);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: staging → v2\n\n');
    const cut = bytes.indexOf(0x86);
    async function* chunks() {
      yield bytes.slice(0, cut);
      yield bytes.slice(cut);
    }
    const out: SseMessage[] = [];
    for await (const m of parseSse(chunks())) out.push(m);
    expect(out.map((m) => m.data)).toEqual(['staging → v2']);
  });
});

describe('followRelease', () => {
  let server: http.Server;
  let url = '';
  let hits = 0;
  const instantClock: Clock = { now: () => Date.now(), sleep: async () => {} };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      if (req.url?.includes('rel_busy')) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'store not reachable' } }));
      } else {
        // An event stream that always closes before the release ends.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('event: release-event\nid: 1\ndata: {"seq":1,"message":"m"}\n\n');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('retries a 5xx, then gives up with a hint to watch again', async () => {
    hits = 0;
    const client = new GantryClient({ baseUrl: url, token: undefined, fetch });
    const reasons: string[] = [];
    const follow = followRelease(
      client,
      'rel_busy',
      { onEvent: () => {}, onReconnect: (_n, why) => reasons.push(why) },
      { clock: instantClock, maxAttempts: 3 },
    );
    await expect(follow).rejects.toThrow(/could not reconnect after 3 attempts; run `gantry watch rel_busy`/);
    expect(hits).toBe(4);
    expect(reasons).toEqual(['store not reachable', 'store not reachable', 'store not reachable']);
  });

  it('shows each event once when a stream keeps closing early', async () => {
    const client = new GantryClient({ baseUrl: url, token: undefined, fetch });
    const seen: number[] = [];
    const follow = followRelease(
      client,
      'rel_short',
      { onEvent: (e) => seen.push(e.seq) },
      { clock: instantClock, maxAttempts: 2 },
    );
    await expect(follow).rejects.toThrow(/the server closed the event stream/);
    expect(seen).toEqual([1]);
  });
});
