// Bodies stream both ways without buffering; WebSocket upgrades pass through.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { route, send, useProxyFixture, waitFor, within } from './helpers/proxy.ts';

const fx = useProxyFixture();

describe('streaming bodies', () => {
  it('streams a request body: the backend reads the first chunk before the client sends the rest', async () => {
    let received = 0;
    const hash = createHash('sha256');
    const up = await fx.upstream('sink', (req, res) => {
      req.on('data', (c: Buffer) => {
        received += c.length;
        hash.update(c);
      });
      req.on('end', () => res.end(JSON.stringify({ received, sha: hash.digest('hex') })));
    });
    const p = await fx.planeTo(up.url);
    const chunk = Buffer.alloc(64 * 1024, 7);
    const expected = createHash('sha256');
    const answer = new Promise<string>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: p.port('staging'), method: 'PUT', path: '/upload', agent: false },
        (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.write(chunk);
      expected.update(chunk);
      // Only once the backend has the first chunk does the client send the remaining 16 MiB.
      waitFor(() => received >= chunk.length, 'the first chunk at the backend').then(async () => {
        for (let i = 0; i < 256; i++) {
          expected.update(chunk);
          if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      }, reject);
    });
    const body = JSON.parse(await within(answer, 30_000, 'upload answer'));
    expect(body.received).toBe(257 * chunk.length);
    expect(body.sha).toBe(expected.digest('hex'));
  });

  it('streams a response body: the client reads the first chunk before the backend sends the rest', async () => {
    let clientGotFirst = false;
    const chunk = Buffer.alloc(64 * 1024, 3);
    const up = await fx.upstream('source', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(chunk);
      waitFor(() => clientGotFirst, 'the first chunk at the client').then(async () => {
        for (let i = 0; i < 256; i++) {
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        }
        res.end();
      });
    });
    const p = await fx.planeTo(up.url);
    const total = await within(
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: p.port('staging'), agent: false }, (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
            clientGotFirst = true;
          });
          res.on('end', () => resolve(n));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      }),
      30_000,
      'download',
    );
    expect(total).toBe(257 * chunk.length);
  });
});

describe('upgrade passthrough', () => {
  it('echoes WebSocket messages through the proxy and counts the socket as in flight until closed', async () => {
    const up = await fx.upstream('ws', (_req, res) => res.end('plain'));
    const wss = new WebSocketServer({ noServer: true });
    let forwardedFor: string | undefined;
    up.server.on('upgrade', (req, socket, head) => {
      forwardedFor = req.headers['x-forwarded-for'] as string | undefined;
      wss.handleUpgrade(req, socket, head, (ws) =>
        ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary })),
      );
    });
    fx.defer(() => new Promise<void>((r) => wss.close(() => r())));
    const p = await fx.planeTo(up.url);
    const ws = new WebSocket(`ws://127.0.0.1:${p.port('staging')}/socket`);
    await within(
      new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)),
      20_000,
      'ws open',
    );
    const replies: string[] = [];
    ws.on('message', (m) => replies.push(m.toString()));
    ws.send('hello');
    ws.send('world');
    await waitFor(() => replies.length === 2, 'two echoes');
    expect(replies).toEqual(['hello', 'world']);
    expect(forwardedFor).toBe('127.0.0.1');
    expect((await p.plane.inFlight()).get('i1')).toBe(1);
    expect(await p.plane.drain(['i1'], 50)).toBe(1);
    ws.close();
    expect(await p.plane.drain(['i1'], 20_000)).toBe(0);
    expect(p.sink.records()).toMatchObject([{ status: 101, instance: 'i1', method: 'GET' }]);
  });

  it('answers 503 to an upgrade when the environment has no backend', async () => {
    const p = fx.plane();
    await p.plane.apply({ environments: [route('staging', [])] });
    const ws = new WebSocket(`ws://127.0.0.1:${p.port('staging')}/socket`);
    const status = await within(
      new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      }),
      20_000,
      'upgrade refusal',
    );
    expect(status).toBe(503);
    expect(p.sink.records()).toMatchObject([{ status: 503, error: 'no_backend' }]);
  });

  it('still serves plain requests on the same listener', async () => {
    const up = await fx.upstream('plain');
    const p = await fx.planeTo(up.url);
    expect((await send(p.port('staging'))).status).toBe(200);
  });
});
