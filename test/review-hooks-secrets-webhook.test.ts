// Adversarial checks of the GitHub webhook against a real server (child process): a signed push
// replayed under a new delivery id, the same delivery sent several times at once, and forgeries
// the signature check must refuse before anything is recorded, whatever their shape.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriggerListResponse } from '../src/api/hook-routes.ts';
import type { ReleaseRecord } from '../src/api/types.ts';
import {
  branchPush,
  type Delivery,
  postDelivery,
  randomCommit,
  signedDelivery,
  tagPush,
} from './fixtures/github/payloads.ts';
import { ApiClient, ChildServer, helloBuild, tempDir, writeWebhookConfig } from './helpers/gantry.ts';

const SECRET = `whsec-${randomBytes(12).toString('hex')}`;

/** A raw request, so that headers can be repeated or left out exactly as given. */
function rawPost(
  base: string,
  headers: Array<[string, string]>,
  body: Buffer | string,
): Promise<{ status: number; text: string }> {
  const url = new URL('/api/v1/hooks/github', base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', timeout: 30_000 },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    for (const [k, v] of headers) req.appendHeader(k, v);
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('no answer in 30 s')));
    req.end(body);
  });
}

describe('GitHub webhook under attack', () => {
  let cleanup: () => Promise<void>;
  let dir: string;
  let server: ChildServer;
  let api: ApiClient;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('gantry-review-hooks-'));
    const config = await writeWebhookConfig(dir, 'GANTRY_REVIEW_WEBHOOK_SECRET');
    process.env.GANTRY_REVIEW_WEBHOOK_SECRET = SECRET;
    server = new ChildServer({ config, dataDir: path.join(dir, 'data') });
    api = new ApiClient(await server.start());
  });

  afterAll(async () => {
    await server?.stop();
    await cleanup?.();
  });

  const post = (d: Delivery, headers?: Record<string, string>, body?: string) =>
    postDelivery(api.base, d, headers, body);
  const withNewId = (d: Delivery): Delivery => {
    const id = randomUUID();
    return { ...d, id, headers: { ...d.headers, 'x-github-delivery': id } };
  };
  const state = async () => ({
    ...(await api.call<TriggerListResponse>('GET', '/api/v1/triggers?limit=500')).body,
    releases: (await api.call<{ releases: ReleaseRecord[] }>('GET', '/api/v1/releases?limit=500')).body
      .releases,
  });

  it('refuses a signed push sent again under a new delivery id: it would release an old version again', async () => {
    const [c1, c2] = [randomCommit(), randomCommit()];
    for (const [v, c] of [
      ['v1.0.0', c1],
      ['v2.0.0', c2],
    ] as const) {
      const res = await fetch(`${api.base}/api/v1/versions/${v}/artifact?ref=refs/tags/${v}&commit=${c}`, {
        method: 'POST',
        headers: { ...api.headers(), 'content-type': 'application/gzip' },
        body: await packed(await helloBuild(dir, v)),
      });
      expect(res.status).toBe(201);
    }
    const first = await signedDelivery('push', tagPush('refs/tags/v1.0.0', c1), SECRET);
    const r1 = await post(first);
    expect(r1).toMatchObject({ status: 201, body: { outcome: 'released', version: 'v1.0.0' } });
    expect((await api.waitRelease(String(r1.body.releaseId))).release.state).toBe('succeeded');
    const r2 = await post(await signedDelivery('push', tagPush('refs/tags/v2.0.0', c2), SECRET));
    expect(r2).toMatchObject({ status: 201, body: { outcome: 'released', version: 'v2.0.0' } });
    expect((await api.waitRelease(String(r2.body.releaseId))).release.state).toBe('succeeded');

    // Someone who saw the first delivery sends it again: GitHub's signature covers the body only.
    const before = await state();
    const replay = await post(withNewId(first));
    expect(replay).toMatchObject({ status: 409, body: { error: { code: 'WEBHOOK_REPLAY' } } });
    expect(await state()).toEqual(before);
  });

  it('acts once on a delivery sent several times at once, with the same or new delivery ids', async () => {
    const before = await state();
    const same = await signedDelivery('push', branchPush('refs/heads/main', randomCommit()), SECRET);
    const sameIds = await Promise.all(Array.from({ length: 6 }, () => post(same)));
    expect(sameIds.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);

    const other = await signedDelivery('push', branchPush('refs/heads/main', randomCommit()), SECRET);
    const newIds = await Promise.all(Array.from({ length: 6 }, () => post(withNewId(other))));
    expect(newIds.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);

    const after = await state();
    expect(after.triggers.length - before.triggers.length).toBe(2);
    expect(after.deliveries.length - before.deliveries.length).toBe(2);
  });

  it('refuses every forgery with 401 and records nothing', async () => {
    const good = await signedDelivery('push', branchPush('refs/heads/main', randomCommit()), SECRET);
    const sig = good.headers['x-hub-signature-256'] as string;
    const h = (over: Record<string, string | undefined>): Array<[string, string]> =>
      Object.entries({ ...good.headers, ...over }).filter((e): e is [string, string] => e[1] !== undefined);
    const sha1 = `sha1=${createHmac('sha1', SECRET).update(good.body).digest('hex')}`;
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(good.body)).reverse()));
    const form = new URLSearchParams({ payload: good.body }).toString();
    const attempts: Array<[string, Array<[string, string]>, string | Buffer]> = [
      ['uppercase hex', h({ 'x-hub-signature-256': `sha256=${sig.slice(7).toUpperCase()}` }), good.body],
      ['SHA-1 only', h({ 'x-hub-signature-256': undefined, 'x-hub-signature': sha1 }), good.body],
      ['padded', h({ 'x-hub-signature-256': ` ${sig} ` }), `${good.body} `],
      ['truncated', h({ 'x-hub-signature-256': sig.slice(0, 40) }), good.body],
      ['prefix only', h({ 'x-hub-signature-256': 'sha256=' }), good.body],
      ['re-serialized', h({}), JSON.stringify(JSON.parse(good.body), null, 2)],
      ['keys reordered', h({}), reordered],
      ['unicode escaped', h({}), good.body.replace('refs/heads/main', 'refs\\/heads\\/ma\\u0069n')],
      ['trailing newline', h({}), `${good.body}\n`],
      [
        'empty body',
        h({ 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).digest('hex')}` }),
        '',
      ],
      ['no content type', h({ 'content-type': undefined }), Buffer.from(reordered)],
      ['form, signed as JSON', h({ 'content-type': 'application/x-www-form-urlencoded' }), form],
      ['wrong secret', h({ 'x-hub-signature-256': await sign(`${SECRET}x`, good.body) }), good.body],
      ['secret as signature', h({ 'x-hub-signature-256': `sha256=${SECRET}` }), good.body],
      [
        'two signatures, one good',
        [...h({}), ['x-hub-signature-256', `sha256=${'0'.repeat(64)}`]],
        good.body,
      ],
      [
        'two signatures, bad first',
        [...h({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }), ['x-hub-signature-256', sig]],
        good.body,
      ],
    ];
    const before = await state();
    for (const [what, headers, body] of attempts) {
      const res = await rawPost(api.base, headers, body);
      expect(res.status, `${what}: ${res.text}`).toBe(401);
      expect(res.text).not.toContain(SECRET);
    }
    expect(await state()).toEqual(before);
    expect(server.output).not.toContain(SECRET);
    // None of them used up the genuine delivery.
    expect((await post(good)).status).toBe(202);
  });

  it('refuses a body over GitHub 25 MB cap before reading it all, recording nothing', async () => {
    const before = await state();
    const big = Buffer.alloc(26 * 1024 * 1024, 0x20);
    const res = await rawPost(
      api.base,
      [
        ['content-type', 'application/json'],
        ['x-github-event', 'push'],
        ['x-github-delivery', randomUUID()],
        ['x-hub-signature-256', await sign(SECRET, big.toString())],
      ],
      big,
    ).catch((err: Error) => ({ status: -1, text: err.message }));
    // Either a 413 or the connection cut once the limit is passed.
    expect([413, -1]).toContain(res.status);
    expect(await state()).toEqual(before);
  });
});

async function packed(dir: string): Promise<Buffer> {
  const { packDirectory } = await import('../src/artifacts/index.ts');
  const { buffer } = await import('node:stream/consumers');
  return buffer(packDirectory(dir));
}
