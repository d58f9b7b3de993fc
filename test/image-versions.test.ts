// Images as versions: the first release of a version pulls its image and records the
// digest; later uses check the same digest. The store is real (SQLite); the engine is the one test
// double here: a resolver with a fixed table of references, standing in for the docker driver's
// resolveArtifact until the Podman e2e (test/docker-*.test.ts) runs the real one.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/index.ts';
import { GantryError } from '../src/lib/errors.ts';
import {
  checkRunnable,
  ensureImage,
  imageResolverOf,
  type ResolveImage,
  recordImageVersion,
} from '../src/rollout/image-versions.ts';
import { useStoreFixture } from './helpers/store.ts';

const stores = useStoreFixture();

const REPO = '127.0.0.1:5000/shop-api';
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

const docker = parseConfig(
  `service: shop-api
runtime: docker
run: { image: "${REPO}", port: 8000 }
environments:
  staging: { listen: 127.0.0.1:8081 }
`,
  'gantry.yaml',
).config;

/** An engine that knows `images` (reference → digest) and fails every other pull as Docker words it. */
function engine(images: Record<string, string>) {
  const pulls: string[] = [];
  const resolve: ResolveImage = async (ref) => {
    pulls.push(ref.image);
    const at = ref.image.indexOf('@');
    const digest = at >= 0 ? ref.image.slice(at + 1) : images[ref.image];
    if (digest === undefined || (at >= 0 && !Object.values(images).includes(digest))) {
      throw new GantryError(
        'IMAGE_UNAVAILABLE',
        `cannot pull ${ref.image}: manifest unknown: manifest unknown`,
      );
    }
    return { kind: 'image', image: ref.image, digest };
  };
  return { resolve, pulls, images };
}

async function rejection(promise: Promise<unknown>): Promise<GantryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GantryError)) throw new Error(`expected a GantryError, got ${String(err)}`);
  return err;
}

describe('recording the image of a version', () => {
  it('pulls run.image:<version> by default and keeps repo@digest', async () => {
    const store = await stores.open();
    const e = engine({ [`${REPO}:v1`]: D1 });
    const { version, created } = await recordImageVersion(
      { store, resolve: e.resolve, config: docker },
      { service: 'shop-api', version: 'v1', gitRef: 'refs/tags/v1' },
    );
    expect(created).toBe(true);
    expect(e.pulls).toEqual([`${REPO}:v1`]);
    expect(version).toMatchObject({
      artifactKind: 'image',
      artifactRef: `${REPO}@${D1}`,
      sha256: '1'.repeat(64),
      gitRef: 'refs/tags/v1',
    });
    expect(await store.versions.get('shop-api', 'v1')).toEqual(version);
  });

  it('takes --image REF, and the same digest again is the same version (not created)', async () => {
    const store = await stores.open();
    const e = engine({ [`${REPO}:build-17`]: D1, [`${REPO}:latest`]: D1 });
    const deps = { store, resolve: e.resolve, config: docker };
    const req = { service: 'shop-api', version: 'v1' };
    expect((await recordImageVersion(deps, { ...req, image: `${REPO}:build-17` })).created).toBe(true);
    const again = await recordImageVersion(deps, { ...req, image: `${REPO}:latest` });
    expect(again.created).toBe(false);
    expect(again.version.artifactRef).toBe(`${REPO}@${D1}`);
  });

  it('refuses the same version with another digest: versions are immutable', async () => {
    const store = await stores.open();
    const e = engine({ [`${REPO}:v1`]: D1 });
    const deps = { store, resolve: e.resolve, config: docker };
    await recordImageVersion(deps, { service: 'shop-api', version: 'v1' });
    e.images[`${REPO}:v1`] = D2; // the tag was pushed again with other bytes
    const err = await rejection(
      recordImageVersion(deps, { service: 'shop-api', version: 'v1', image: `${REPO}:v1` }),
    );
    expect(err.code).toBe('VERSION_EXISTS');
    expect(err.message).toBe(
      `version v1 is ${REPO}@${D1}, but ${REPO}:v1 is now ${D2}: versions are immutable`,
    );
    expect((await store.versions.get('shop-api', 'v1'))?.sha256).toBe('1'.repeat(64));
  });

  it('a failed pull records nothing and keeps the engine error', async () => {
    const store = await stores.open();
    const e = engine({});
    const err = await rejection(
      recordImageVersion(
        { store, resolve: e.resolve, config: docker },
        { service: 'shop-api', version: 'v9' },
      ),
    );
    expect(err.code).toBe('IMAGE_UNAVAILABLE');
    expect(err.message).toBe(`cannot pull ${REPO}:v9: manifest unknown: manifest unknown`);
    expect(await store.versions.get('shop-api', 'v9')).toBeUndefined();
  });

  it('refuses what is no reference, and a version that cannot be a tag without --image', async () => {
    const store = await stores.open();
    const deps = { store, resolve: engine({}).resolve, config: docker };
    const bad = await rejection(
      recordImageVersion(deps, { service: 'shop-api', version: 'v1', image: 'Shop API' }),
    );
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toContain('"Shop API" is not an image reference');
    const plus = await rejection(recordImageVersion(deps, { service: 'shop-api', version: '1.0+build.5' }));
    expect(plus.message).toBe(
      `version 1.0+build.5 cannot be a tag of ${REPO} (letters, digits, _ . -, at most 128, not starting with . or -): pass --image REF`,
    );
  });

  it('two releases of the same new version at once record it once', async () => {
    const store = await stores.open();
    const e = engine({ [`${REPO}:v1`]: D1 });
    const deps = { store, resolve: e.resolve, config: docker };
    const both = await Promise.all([
      recordImageVersion(deps, { service: 'shop-api', version: 'v1', image: `${REPO}:v1` }),
      recordImageVersion(deps, { service: 'shop-api', version: 'v1', image: `${REPO}:v1` }),
    ]);
    expect(both.map((r) => r.created).sort()).toEqual([false, true]);
    expect(both[0]?.version.artifactRef).toBe(both[1]?.version.artifactRef);
  });
});

describe("the driver's resolveArtifact as the control plane sees it", () => {
  it("turns the engine's error into a 422 IMAGE_UNAVAILABLE with the engine's words", async () => {
    const resolve = imageResolverOf({
      kind: 'docker',
      resolveArtifact: async () => {
        throw new Error(`cannot pull image ${REPO}:v7: manifest unknown`);
      },
    });
    const err = await rejection(resolve({ kind: 'image', image: `${REPO}:v7` }));
    expect(err.code).toBe('IMAGE_UNAVAILABLE');
    expect(err.message).toBe(`cannot pull image ${REPO}:v7: manifest unknown`);
    const ok = imageResolverOf({
      kind: 'docker',
      resolveArtifact: async (ref) => ({
        kind: 'image',
        image: ref.kind === 'image' ? ref.image : '',
        digest: D1,
      }),
    });
    expect(await ok({ kind: 'image', image: `${REPO}:v7` })).toEqual({
      kind: 'image',
      image: `${REPO}:v7`,
      digest: D1,
    });
  });
});

describe('later uses of an image version', () => {
  it('resolve the pinned digest again, and fail when the engine has other bytes or none', async () => {
    const store = await stores.open();
    const e = engine({ [`${REPO}:v1`]: D1 });
    const { version } = await recordImageVersion(
      { store, resolve: e.resolve, config: docker },
      { service: 'shop-api', version: 'v1' },
    );
    await ensureImage(e.resolve, version);
    expect(e.pulls.at(-1)).toBe(`${REPO}@${D1}`);
    const wrong: ResolveImage = async (ref) => ({ kind: 'image', image: ref.image, digest: D2 });
    expect((await rejection(ensureImage(wrong, version))).message).toBe(
      `the engine resolved ${REPO}@${D1} to ${D2}, not the recorded ${D1}`,
    );
    const gone = await rejection(ensureImage(engine({}).resolve, version));
    expect(gone.message).toBe(`cannot pull ${REPO}@${D1}: manifest unknown: manifest unknown`);
  });

  it('a version the runtime cannot run is refused with what to do', async () => {
    const store = await stores.open();
    const dir = await store.versions.create({
      service: 'shop-api',
      version: 'v0',
      artifactKind: 'dir',
      artifactRef: 'artifacts/shop-api/v0',
      sha256: 'a'.repeat(64),
      sizeBytes: 10,
      gitRef: null,
      gitCommit: null,
    });
    const err = (() => {
      try {
        checkRunnable(docker, dir);
      } catch (e) {
        return e as GantryError;
      }
      throw new Error('expected a refusal');
    })();
    expect(err.code).toBe('RUNTIME_UNAVAILABLE');
    expect(err.message).toBe(
      'version v0 is an uploaded directory, but this server runs images (runtime docker): release an image under a new version',
    );
    const e = engine({ [`${REPO}:v0`]: D1 });
    const viaRecord = await rejection(
      recordImageVersion(
        { store, resolve: e.resolve, config: docker },
        { service: 'shop-api', version: 'v0' },
      ),
    );
    expect(viaRecord.code).toBe('RUNTIME_UNAVAILABLE');
    expect(e.pulls).toEqual([]);
  });
});
