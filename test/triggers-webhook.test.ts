// The GitHub push webhook and the hardened artifact upload against a real server (child process)
// running examples/hello/app, with GitHub's own sample payloads signed under the real secret.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriggerListResponse } from '../src/api/hook-routes.ts';
import type { ReleaseDetailResponse, ReleaseRecord, VersionView } from '../src/api/types.ts';
import { packDirectory } from '../src/artifacts/index.ts';
import {
  branchPush,
  type Delivery,
  example,
  postDelivery,
  randomCommit,
  signedDelivery,
  tagDeletion,
  tagPush,
} from './fixtures/github/payloads.ts';
import {
  ApiClient,
  authHeaders,
  ChildServer,
  helloApp,
  helloBuild,
  runGantry,
  tempDir,
  writeWebhookConfig,
} from './helpers/gantry.ts';

const SECRET = `whsec-${randomBytes(12).toString('hex')}`;
const LIMIT = '256KB';

describe('GitHub push webhook', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let dataDir: string;
  let server: ChildServer;
  let api: ApiClient;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('gantry-triggers-'));
    dataDir = path.join(dir, 'data');
    process.env.GANTRY_TEST_WEBHOOK_SECRET = SECRET;
    server = new ChildServer({
      config: await writeWebhookConfig(dir, 'GANTRY_TEST_WEBHOOK_SECRET'),
      dataDir,
    });
    server.args.push('--max-artifact-size', LIMIT);
    api = new ApiClient(await server.start());
  });

  afterAll(async () => {
    await server?.stop();
    await cleanup?.();
  });

  const post = (d: Delivery, headers?: Record<string, string>, body?: string) =>
    postDelivery(api.base, d, headers, body);
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(api.base + p, { headers: authHeaders(dataDir) });
    if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const triggers = () => get<TriggerListResponse>('/api/v1/triggers?limit=500');
  const releases = async () =>
    (await get<{ releases: ReleaseRecord[] }>('/api/v1/releases?limit=500')).releases;
  const versions = async () => (await get<{ versions: VersionView[] }>('/api/v1/versions')).versions;
  const snapshot = async () => ({
    ...(await triggers()),
    releases: await releases(),
    versions: await versions(),
  });

  async function upload(
    version: string,
    dirToPack: string,
    opts: { ref?: string; commit?: string; checksum?: (real: string) => string } = {},
  ) {
    const bytes = await buffer(packDirectory(dirToPack));
    const real = createHash('sha256').update(bytes).digest('hex');
    const q = new URLSearchParams({
      ...(opts.ref ? { ref: opts.ref } : {}),
      ...(opts.commit ? { commit: opts.commit } : {}),
    });
    const res = await fetch(`${api.base}/api/v1/versions/${version}/artifact?${q}`, {
      method: 'POST',
      headers: {
        ...authHeaders(dataDir),
        'content-type': 'application/gzip',
        'x-checksum-sha256': opts.checksum ? opts.checksum(real) : real,
      },
      body: bytes,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, sha256: real };
  }

  async function waitReleased(id: string): Promise<ReleaseDetailResponse> {
    const detail = await api.waitRelease(id, 60_000);
    expect(detail.release.state).toBe('succeeded');
    return detail;
  }

  it('answers a ping with pong', async () => {
    const res = await post(await signedDelivery('ping', example('ping'), SECRET));
    expect(res).toMatchObject({ status: 200, body: { outcome: 'pong' } });
  });

  it('refuses forged, unsigned and wrongly signed deliveries with 401 and records nothing', async () => {
    const before = await snapshot();
    const good = await signedDelivery('push', branchPush('refs/heads/main', randomCommit()), SECRET);
    const forgedBody = good.body.replace('"refs/heads/main"', '"refs/heads/main "');
    const { 'x-hub-signature-256': _, ...unsigned } = good.headers;
    const wrong = await signedDelivery(
      'push',
      branchPush('refs/heads/main', randomCommit()),
      'not-the-secret',
    );
    for (const attempt of [
      post(good, good.headers, forgedBody),
      post(good, unsigned),
      post(wrong),
      post(good, { ...good.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }),
    ]) {
      const res = await attempt;
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'BAD_SIGNATURE' } });
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
    expect(await snapshot()).toEqual(before);
    expect(server.output).not.toContain(SECRET);
    // The genuine delivery is still new: the forgeries did not use up its id.
    expect((await post(good)).status).toBe(202);
  });

  it('releases a branch push once CI uploads the version (named by the commit), as github', async () => {
    const commit = randomCommit();
    const delivery = await signedDelivery('push', branchPush('refs/heads/main', commit), SECRET);
    const res = await post(delivery);
    expect(res).toMatchObject({
      status: 202,
      body: { outcome: 'pending', environment: 'staging', version: commit.slice(0, 12) },
    });
    expect((await releases()).filter((r) => r.version === commit.slice(0, 12))).toEqual([]);

    // CI's upload, through the CLI: it names the version from the ref and commit the same way.
    const cli = await runCli(['upload', '--ref', 'refs/heads/main', '--artifact', helloApp], {
      GITHUB_SHA: commit,
    });
    expect(cli.code, cli.output).toBe(0);
    expect(cli.output).toContain(`uploaded ${commit.slice(0, 12)}`);
    expect(cli.output).toMatch(/push trigger for staging \(refs\/heads\/main\): release rel_\w+ started/);

    const { triggers: list, deliveries } = await triggers();
    const trigger = list.find((t) => t.deliveryId === delivery.id);
    expect(trigger).toMatchObject({ state: 'released', commit, pusher: 'Codertocat' });
    expect(deliveries.find((d) => d.id === delivery.id)).toMatchObject({
      outcome: 'pending',
      ref: 'refs/heads/main',
    });
    const detail = await waitReleased(trigger?.releaseId ?? '');
    expect(detail.release).toMatchObject({
      environment: 'staging',
      createdBy: 'github',
      ref: 'refs/heads/main',
    });
    expect(detail.events.find((e) => e.type === 'trigger')?.data).toMatchObject({
      deliveryId: delivery.id,
      commit,
    });
    const version = (await versions()).find((v) => v.version === commit.slice(0, 12));
    expect(version?.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Replayed: 409, and nothing changes.
    const before = await snapshot();
    const replay = await post(delivery);
    expect(replay).toMatchObject({ status: 409, body: { error: { code: 'WEBHOOK_REPLAY' } } });
    expect(await snapshot()).toEqual(before);
  });

  it('releases a tag push at once when its version is already uploaded', async () => {
    const commit = randomCommit();
    const up = await upload('v1.2.3', await helloBuild(dir, 'v1.2.3'), { ref: 'refs/tags/v1.2.3', commit });
    expect(up.status).toBe(201);
    const res = await post(await signedDelivery('push', tagPush('refs/tags/v1.2.3', commit), SECRET));
    expect(res).toMatchObject({
      status: 201,
      body: { outcome: 'released', environment: 'production', version: 'v1.2.3' },
    });
    const detail = await waitReleased(String(res.body.releaseId));
    expect(detail.release).toMatchObject({
      environment: 'production',
      version: 'v1.2.3',
      createdBy: 'github',
    });
  });

  it("records commit times from the push and from gantry upload --commit-time: DORA's lead time counts from them", async () => {
    const dora = async () =>
      (
        await get<{ dora: Array<{ leadTime: { count: number; fromUpload: number } }> }>(
          '/api/v1/dora?environment=staging&since=1d',
        )
      ).dora[0]?.leadTime;
    const before = await dora();
    const fromCommit = (l: typeof before) => (l ? l.count - l.fromUpload : 0);

    // A push whose head commit GitHub stamped two hours ago, then CI's upload of that commit.
    const pushed = randomCommit();
    const payload = branchPush('refs/heads/main', pushed);
    (payload.head_commit as { timestamp: string }).timestamp = new Date(
      Date.now() - 2 * 3_600_000,
    ).toISOString();
    expect((await post(await signedDelivery('push', payload, SECRET))).status).toBe(202);
    const cli = await runCli(['upload', '--ref', 'refs/heads/main', '--artifact', helloApp], {
      GITHUB_SHA: pushed,
    });
    expect(cli.code, cli.output).toBe(0);
    const trigger = (await triggers()).triggers.find((t) => t.commit === pushed);
    await waitReleased(trigger?.releaseId ?? '');
    expect(fromCommit(await dora())).toBe(fromCommit(before) + 1);

    // An upload that says when its commit was made, released by hand.
    const built = randomCommit();
    const version = `ct-${built.slice(0, 8)}`;
    const up = await runCli(
      [
        'upload',
        '--version',
        version,
        '--commit',
        built,
        '--commit-time',
        '2026-01-02T03:04:05+01:00',
        '--artifact',
        helloApp,
      ],
      {},
    );
    expect(up.code, up.output).toBe(0);
    const rel = await fetch(`${api.base}/api/v1/releases`, {
      method: 'POST',
      headers: { ...authHeaders(dataDir), 'content-type': 'application/json' },
      body: JSON.stringify({ environment: 'staging', version }),
    });
    expect(rel.status).toBe(201);
    await waitReleased(((await rel.json()) as { release: { id: string } }).release.id);
    expect(fromCommit(await dora())).toBe(fromCommit(before) + 2);

    const alone = await runCli(
      ['upload', '--version', 'ct-x', '--commit-time', '2026-01-02T03:04:05Z', '--artifact', helloApp],
      {},
    );
    expect(alone.code).toBe(2);
    expect(alone.output).toContain('--commit-time needs the commit it is the time of: add --commit SHA');
  });

  it('ignores deleted refs, untracked refs and other events, recording them', async () => {
    const before = await releases();
    const cases: Array<[Delivery, RegExp]> = [
      [await signedDelivery('push', tagDeletion(), SECRET), /was deleted/],
      [
        await signedDelivery(
          'push',
          example('push', (p) => p.ref === 'refs/heads/master'),
          SECRET,
        ),
        /matches no environment/,
      ],
      [await signedDelivery('issues', example('issues'), SECRET), /acts on push events, not issues/],
    ];
    // GitHub's other content type: the JSON form-encoded as `payload=`, signed as sent.
    const form = await signedDelivery('push', branchPush('refs/heads/develop', randomCommit()), SECRET);
    form.body = new URLSearchParams({ payload: form.body }).toString();
    form.headers['content-type'] = 'application/x-www-form-urlencoded';
    form.headers['x-hub-signature-256'] = await sign(SECRET, form.body);
    cases.push([form, /refs\/heads\/develop matches no environment/]);
    for (const [delivery, why] of cases) {
      const res = await post(delivery);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ outcome: 'ignored', message: expect.stringMatching(why) });
    }
    const { deliveries } = await triggers();
    for (const [delivery] of cases) expect(deliveries.map((d) => d.id)).toContain(delivery.id);
    expect(await releases()).toEqual(before);
  });

  it('refuses to release an upload built from another commit than the push', async () => {
    const pushed = randomCommit();
    const res = await post(await signedDelivery('push', tagPush('refs/tags/v9.9.9', pushed), SECRET));
    expect(res.body).toMatchObject({ outcome: 'pending', version: 'v9.9.9' });
    const up = await upload('v9.9.9', await helloBuild(dir, 'v9.9.9'), {
      ref: 'refs/tags/v9.9.9',
      commit: randomCommit(),
    });
    expect(up.status).toBe(201);
    expect(up.body.triggered).toMatchObject([
      { state: 'refused', message: expect.stringMatching(/not released/) },
    ]);
    expect((await releases()).filter((r) => r.version === 'v9.9.9')).toEqual([]);
  });

  it('does not release an upload that records no ref or commit, and says why the trigger waits', async () => {
    // Anyone who may upload (a deployer scoped to staging) could name a build after a future tag.
    const up = await upload('v9rt', await helloBuild(dir, 'v9rt'));
    expect(up.status).toBe(201);
    const res = await post(await signedDelivery('push', tagPush('refs/tags/v9rt', randomCommit()), SECRET));
    expect(res).toMatchObject({
      status: 202,
      body: {
        outcome: 'pending',
        environment: 'production',
        message: expect.stringMatching(/no recorded ref or commit.*not released/),
        trigger: { state: 'pending' },
      },
    });
    expect((await releases()).filter((r) => r.version === 'v9rt')).toEqual([]);
  });

  it('refuses a delivery above triggers.github.max_body (5MB) with 413 as it streams, signed or not', async () => {
    const before = await snapshot();
    const padded = branchPush('refs/heads/main', randomCommit()) as Record<string, unknown>;
    padded.padding = 'x'.repeat(6 * 1024 * 1024);
    const big = await signedDelivery('push', padded, SECRET);
    // Chunked (no Content-Length): read up to the limit, then refused; the same with a wrong signature.
    const chunked = (body: string, headers: Record<string, string>) =>
      fetch(`${api.base}/api/v1/hooks/github`, {
        method: 'POST',
        headers,
        body: Readable.toWeb(Readable.from([Buffer.from(body)])) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
    const wrong = { ...big.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` };
    for (const res of [
      await chunked(big.body, big.headers),
      await chunked(big.body, wrong),
      await fetch(`${api.base}/api/v1/hooks/github`, {
        method: 'POST',
        headers: big.headers,
        body: big.body,
      }),
    ]) {
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({
        error: { code: 'WEBHOOK_TOO_LARGE', message: expect.stringContaining('triggers.github.max_body') },
      });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('rejects an upload whose checksum does not match with 422, storing nothing', async () => {
    const res = await upload('v-bad-sum', helloApp, {
      checksum: (real) => real.replace(/^./, (c) => (c === '0' ? '1' : '0')),
    });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'CHECKSUM_MISMATCH' } } });
    expect(String((res.body.error as { message: string }).message)).toContain(res.sha256);
    expect((await versions()).map((v) => v.version)).not.toContain('v-bad-sum');
    expect(await readdir(path.join(dataDir, 'artifacts/hello'))).not.toContain('v-bad-sum');
    expect(await readdir(path.join(dataDir, 'artifacts/.incoming'))).toEqual([]);
  });

  it('rejects an upload over the size limit with 413 naming the limit, storing nothing', async () => {
    const big = path.join(dir, 'big');
    await mkdir(big, { recursive: true });
    await writeFile(path.join(big, 'server.js'), 'console.log(1)\n');
    await writeFile(path.join(big, 'blob.bin'), randomBytes(400 * 1024));
    const res = await upload('v-too-big', big);
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'ARTIFACT_TOO_LARGE' } } });
    expect((res.body.error as { message: string }).message).toContain('262144 bytes (256KB)');
    // Streamed without a Content-Length: stopped once the limit is passed.
    const streamed = await fetch(`${api.base}/api/v1/versions/v-too-big/artifact`, {
      method: 'POST',
      headers: { ...authHeaders(dataDir), 'content-type': 'application/gzip' },
      body: Readable.toWeb(packDirectory(big)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.text()).toContain('262144 bytes (256KB)');
    expect((await versions()).map((v) => v.version)).not.toContain('v-too-big');
    expect(await readdir(path.join(dataDir, 'artifacts/.incoming'))).toEqual([]);
  });

  /** The real CLI against this server. */
  async function runCli(
    args: string[],
    env: Record<string, string>,
  ): Promise<{ code: number; output: string }> {
    const r = await runGantry(args, { env: { GANTRY_URL: api.base, GANTRY_DATA_DIR: dataDir, ...env } });
    return { code: r.code, output: r.stdout + r.stderr };
  }
});

describe('GitHub webhook without triggers.github', () => {
  it('answers 404 with what to add to gantry.yaml', async () => {
    const { dir, cleanup } = await tempDir('gantry-triggers-off-');
    const server = new ChildServer({
      config: await writeWebhookConfig(dir, null),
      dataDir: path.join(dir, 'data'),
    });
    try {
      const base = await server.start();
      const d = await signedDelivery('push', branchPush('refs/heads/main', randomCommit()), SECRET);
      const res = await fetch(`${base}/api/v1/hooks/github`, {
        method: 'POST',
        headers: d.headers,
        body: d.body,
      });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: string; hint: string } };
      expect(body.error.code).toBe('WEBHOOK_NOT_CONFIGURED');
      expect(body.error.hint).toContain('triggers');
    } finally {
      await server.stop();
      await cleanup();
    }
  });
});
