// The pieces of the GitHub trigger path on their own: version names, push payloads (GitHub's real
// examples), signatures, the webhook secret, and the trigger lifecycle over a real SQLite store.
import { sign } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../src/config/types.ts';
import { GantryError } from '../src/lib/errors.ts';
import { silentLogger } from '../src/lib/log.ts';
import type { Store } from '../src/store/types.ts';
import {
  checkGithubSignature,
  type ReleaseStarter,
  ReleaseTriggers,
  readPushEvent,
  readSignedBody,
  resolveWebhookSecret,
  sameCommit,
  sameRef,
  versionForRef,
} from '../src/triggers/index.ts';
import { branchPush, example, randomCommit, tagDeletion, tagPush } from './fixtures/github/payloads.ts';
import { release, useStoreFixture } from './helpers/store.ts';

const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';

describe('versionForRef', () => {
  it.each([
    ['refs/tags/v1.2.3', undefined, 'v1.2.3'],
    ['refs/heads/main', SHA, '6113728f27ae'],
    ['refs/heads/feature/x', SHA.toUpperCase(), '6113728f27ae'],
  ])('%s at %s is %s', (ref, commit, version) => {
    expect(versionForRef(ref, commit)).toEqual({ version });
  });

  it.each([
    ['refs/heads/main', undefined, /pass --commit/],
    ['refs/heads/main', 'not-a-sha', /not a hexadecimal git SHA/],
    ['refs/tags/release/1.0', undefined, /cannot be a version name/],
    ['main', SHA, /not a full branch or tag ref/],
  ])('%s at %s has no version', (ref, commit, error) => {
    expect(versionForRef(ref, commit).error).toMatch(error);
  });

  it('compares commits by prefix and refs by name', () => {
    expect(sameCommit(SHA, SHA.slice(0, 12))).toBe(true);
    expect(sameCommit(SHA, 'deadbeef')).toBe(false);
    expect(sameCommit('abc', 'abcd')).toBe(false);
    expect(sameRef('refs/tags/v1', 'v1')).toBe(true);
    expect(sameRef('refs/tags/v1', 'refs/heads/v1')).toBe(false);
  });
});

describe('readPushEvent on GitHub examples', () => {
  it('reads a branch push, a tag push and a deleted tag', () => {
    const branch = readPushEvent(example('push', (p) => p.ref === 'refs/heads/master'));
    expect(branch).toEqual({
      push: {
        ref: 'refs/heads/master',
        commit: SHA,
        committedAt: '2019-05-15T15:19:25.000Z', // head_commit.timestamp, in UTC
        deleted: false,
        pusher: 'Codertocat',
        repository: 'Codertocat/Hello-World',
      },
    });
    expect(readPushEvent(tagPush('refs/tags/v2.0.0', SHA))).toMatchObject({
      push: { ref: 'refs/tags/v2.0.0', commit: SHA, deleted: false },
    });
    expect(readPushEvent(tagDeletion())).toMatchObject({ push: { deleted: true } });
  });

  it('takes the tagged commit, not the tag object, for an annotated tag', () => {
    const p = tagPush('refs/tags/v3', SHA);
    p.after = 'f'.repeat(40); // the annotated tag object
    expect(readPushEvent(p)).toMatchObject({ push: { commit: SHA } });
  });

  it('says what is missing from a payload that is not a push', () => {
    expect(readPushEvent(example('ping'))).toEqual({ error: expect.stringMatching(/ref: /) });
  });
});

describe('checkGithubSignature', () => {
  const body = Buffer.from(JSON.stringify(branchPush('refs/heads/main', SHA)));

  it('accepts the signature GitHub computes and refuses everything else', async () => {
    const good = await sign('s3cret', body.toString());
    expect(await checkGithubSignature('s3cret', body, good)).toEqual({ ok: true });
    expect(await checkGithubSignature('other', body, good)).toMatchObject({ ok: false });
    const altered = Buffer.from(body.toString().replace('refs/heads/main', 'refs/heads/evil'));
    expect(await checkGithubSignature('s3cret', altered, good)).toMatchObject({ ok: false });
    expect(await checkGithubSignature('s3cret', body, undefined)).toMatchObject({
      reason: expect.stringMatching(/no X-Hub-Signature-256/),
    });
    expect(await checkGithubSignature('s3cret', body, 'sha1=abc')).toMatchObject({ ok: false });
    expect(await checkGithubSignature('s3cret', Buffer.alloc(0), good)).toMatchObject({ ok: false });
  });
});

describe('readSignedBody', () => {
  const body = Buffer.from(JSON.stringify(branchPush('refs/heads/main', SHA)));
  async function* chunks(...parts: Buffer[]) {
    yield* parts;
  }
  async function* untouchable(): AsyncGenerator<Buffer> {
    yield* [];
    throw new Error('the body was read');
  }

  it('refuses a missing or malformed signature header without reading the body', async () => {
    for (const header of [undefined, 'sha1=abc', `sha256=${'g'.repeat(64)}`]) {
      expect(await readSignedBody(untouchable(), 's3cret', header, 1024)).toMatchObject({ ok: false });
    }
  });

  it('checks the HMAC across chunks and stops reading past the limit', async () => {
    const good = await sign('s3cret', body.toString());
    const half = Math.floor(body.length / 2);
    const read = await readSignedBody(
      chunks(body.subarray(0, half), body.subarray(half)),
      's3cret',
      good,
      1024 * 1024,
    );
    expect(read).toEqual({ ok: true, body });
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled++;
        yield Buffer.alloc(1000);
      }
    }
    const tooBig = await readSignedBody(endless(), 's3cret', good, 4500);
    expect(tooBig).toMatchObject({ ok: false, tooLarge: { maxBytes: 4500, atLeast: 5000 } });
    expect(pulled).toBe(5);
  });
});

describe('resolveWebhookSecret', () => {
  it('resolves references and names (never shows) what is missing', async () => {
    const env: Record<string, string> = { HOOK: 'v4lue' };
    expect(await resolveWebhookSecret(`\${secret:HOOK}`, (n) => env[n])).toBe('v4lue');
    const missing = await resolveWebhookSecret(`\${secret:NOPE}`, (n) => env[n]).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'WEBHOOK_SECRET_MISSING', status: 503 });
    expect((missing as Error).message).toContain('NOPE');
    const off = await resolveWebhookSecret(undefined, (n) => env[n]).catch((e: unknown) => e);
    expect(off).toMatchObject({ code: 'WEBHOOK_NOT_CONFIGURED', status: 404 });
  });
});

describe('ReleaseTriggers', () => {
  const fixture = useStoreFixture();
  const config = {
    file: 'gantry.yaml',
    dir: '.',
    config: { service: 'shop' },
  } as unknown as LoadedConfig;

  /** Starts releases in the real store like ControlPlane does, one active per environment. */
  function starter(store: Store, calls: string[]): ReleaseStarter {
    return {
      async release(req) {
        const environment = req.ref?.startsWith('refs/tags/') ? 'production' : 'staging';
        const active = (await store.releases.listActive('shop')).find((r) => r.environment === environment);
        if (active) {
          throw new GantryError('RELEASE_IN_PROGRESS', 'busy', { details: { activeReleaseId: active.id } });
        }
        calls.push(`${environment} ${req.version} ${req.createdBy}`);
        const id = `rel_${calls.length}`;
        return {
          release: await store.releases.create(
            release(id, { environment, version: req.version, ref: req.ref ?? null }),
          ),
        };
      },
    };
  }

  async function setUp(now = { t: Date.now() }) {
    const store = await fixture.open();
    await store.services.upsert('shop');
    const calls: string[] = [];
    const triggers = new ReleaseTriggers({
      config: () => config,
      store,
      control: starter(store, calls),
      logger: silentLogger,
      clock: { now: () => now.t },
    });
    const upload = (version: string, commit: string | null, ref: string | null = null) =>
      store.versions.create({
        service: 'shop',
        version,
        artifactKind: 'dir',
        artifactRef: `artifacts/shop/${version}`,
        sha256: null,
        sizeBytes: null,
        gitRef: ref,
        gitCommit: commit,
      });
    return { store, calls, triggers, upload, now };
  }

  const push = (ref: string, commit: string, deliveryId: string) => ({
    environment: ref.startsWith('refs/tags/') ? 'production' : 'staging',
    version: versionForRef(ref, commit).version ?? '',
    ref,
    commit,
    deliveryId,
    pusher: 'Codertocat',
  });

  it('waits for the upload, then releases as github; a newer push supersedes a waiting one', async () => {
    const { store, calls, triggers, upload } = await setUp();
    const [a, b] = [randomCommit(), randomCommit()];
    const first = await triggers.record(push('refs/heads/main', a, 'd1'));
    expect(first.state).toBe('pending');
    const second = await triggers.record(push('refs/heads/main', b, 'd2'));
    expect((await store.triggers.getTrigger(first.id))?.state).toBe('superseded');
    // The superseded push's build arrives late: nothing happens.
    expect(await triggers.versionUploaded(await upload(a.slice(0, 12), a))).toEqual([]);
    const [started] = await triggers.versionUploaded(await upload(b.slice(0, 12), b, 'refs/heads/main'));
    expect(started).toMatchObject({ id: second.id, state: 'released', releaseId: 'rel_1' });
    expect(calls).toEqual([`staging ${b.slice(0, 12)} github`]);
    const events = await store.releases.events('rel_1');
    expect(events.at(-1)).toMatchObject({ type: 'trigger', data: { deliveryId: 'd2', commit: b } });
  });

  it('does not release an upload that records no ref or commit, and says why it waits', async () => {
    // A deployer scoped to staging uploads v9rt without ref or commit; a signed tag push of v9rt
    // (a production rule) must not release that upload.
    const { store, triggers, upload, calls } = await setUp();
    const c = randomCommit();
    const pushed = await triggers.record(push('refs/tags/v9rt', c, 'd1'));
    expect(pushed.state).toBe('pending');
    const [bare] = await triggers.versionUploaded(await upload('v9rt', null, null));
    expect(bare).toMatchObject({
      id: pushed.id,
      state: 'pending',
      message: expect.stringMatching(/no recorded ref or commit.*refs\/tags\/v9rt/),
    });
    await triggers.environmentFree('production');
    expect((await store.triggers.getTrigger(pushed.id))?.state).toBe('pending');
    // The ref alone, or the commit alone, is not enough either.
    await triggers.record(push('refs/tags/v9ru', c, 'd2'));
    const [refOnly] = await triggers.versionUploaded(await upload('v9ru', null, 'refs/tags/v9ru'));
    expect(refOnly).toMatchObject({ state: 'pending', message: expect.stringMatching(/no recorded commit/) });
    expect(calls).toEqual([]);
  });

  it('refuses an upload built from another commit or ref', async () => {
    const { triggers, upload, calls } = await setUp();
    const c = randomCommit();
    await triggers.record(push('refs/tags/v1.0.0', c, 'd1'));
    const [refused] = await triggers.versionUploaded(
      await upload('v1.0.0', randomCommit(), 'refs/tags/v1.0.0'),
    );
    expect(refused).toMatchObject({
      state: 'refused',
      message: expect.stringMatching(/commit .* not released/),
    });
    await triggers.record(push('refs/tags/v1.0.1', c, 'd2'));
    const [wrongRef] = await triggers.versionUploaded(await upload('v1.0.1', c, 'refs/heads/main'));
    expect(wrongRef?.state).toBe('refused');
    expect(calls).toEqual([]);
  });

  it('waits for a release in progress, and starts when the environment is free', async () => {
    const { store, triggers, upload, calls } = await setUp();
    await store.releases.create(release('rel_busy', { service: 'shop', environment: 'production' }));
    const c = randomCommit();
    await upload('v2.0.0', c, 'refs/tags/v2.0.0');
    const t = await triggers.record(push('refs/tags/v2.0.0', c, 'd1'));
    expect(t).toMatchObject({ state: 'pending', message: expect.stringContaining('rel_busy') });
    await store.releases.transition('rel_busy', { state: 'succeeded', message: 'done' });
    await triggers.environmentFree('production');
    expect((await store.triggers.getTrigger(t.id))?.state).toBe('released');
    expect(calls).toEqual(['production v2.0.0 github']);
  });

  it('expires a trigger whose version never came, and forgets old deliveries', async () => {
    const { store, triggers, now } = await setUp();
    await store.triggers.recordDelivery({
      id: 'old',
      source: 'github',
      event: 'push',
      outcome: 'pending',
      message: '',
      ref: null,
      commit: null,
      triggerId: null,
      releaseId: null,
    });
    const t = await triggers.record(push('refs/heads/main', randomCommit(), 'd1'));
    now.t += 25 * 3600 * 1000;
    await triggers.sweep();
    expect((await store.triggers.getTrigger(t.id))?.state).toBe('expired');
    now.t += 31 * 24 * 3600 * 1000;
    await triggers.sweep();
    expect(await store.triggers.getDelivery('old')).toBeUndefined();
    expect(await store.triggers.getTrigger(t.id)).toBeUndefined();
  });
});
