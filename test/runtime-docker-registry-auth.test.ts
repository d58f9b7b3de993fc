// Pulls from a registry that asks for credentials (docker-registry with htpasswd on loopback) through
// the docker driver on real Podman: the password comes from a `${secret:NAME}` reference resolved
// at the pull, and every failure is IMAGE_UNAVAILABLE naming the image and what to do.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GantryError } from '../src/lib/errors.ts';
import { createDockerDriver } from '../src/runtime/index.ts';
import { PodmanPeer, requirePodman, type TestImage } from './helpers/podman.ts';

const mode = requirePodman();
const PASSWORD_REF = `\${secret:REGISTRY_PASSWORD}`;
const USER = { username: 'ci', password: `pw-${process.pid}-${Date.now()}` };

describe.skipIf(mode === 'skip')('docker driver: registry credentials', () => {
  let peer: PodmanPeer;
  let image: TestImage;
  let dataDir: string;

  beforeAll(async () => {
    peer = await PodmanPeer.start({ auth: USER });
    image = await peer.buildImage({ name: 'private', tag: 'v1' });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'gantry-registry-auth-'));
  }, 180_000);

  afterAll(async () => {
    await peer?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  const driver = (password: string, secrets: Record<string, string> = {}) =>
    createDockerDriver({
      dataDir,
      host: peer.dockerHost,
      network: 'bridge',
      pull: 'always',
      registries: [{ host: peer.registry, username: USER.username, password }],
      lookupSecret: (name) => secrets[name],
    });

  it('refuses a pull without the right password, naming the image and the engine error', async () => {
    const err = await driver('wrong')
      .resolveArtifact({ kind: 'image', image: image.ref })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GantryError);
    expect((err as GantryError).code).toBe('IMAGE_UNAVAILABLE');
    expect((err as Error).message).toContain(`cannot pull image ${image.ref}`);
    expect((err as Error).message).toMatch(/unauthorized|authentication required/i);
    expect((err as Error).message).not.toContain('wrong');
  });

  it('names a secret the password refers to that is not set', async () => {
    await expect(driver(PASSWORD_REF).resolveArtifact({ kind: 'image', image: image.ref })).rejects.toThrow(
      `the password for registry ${peer.registry} refers to the secret REGISTRY_PASSWORD, which is not set on this server`,
    );
  });

  it('pulls with the password from the secret and answers the registry digest', async () => {
    const d = driver(PASSWORD_REF, { REGISTRY_PASSWORD: USER.password });
    const artifact = await d.resolveArtifact({ kind: 'image', image: image.ref });
    expect(artifact).toEqual({
      kind: 'image',
      image: image.ref,
      digest: expect.stringMatching(/^sha256:[a-f0-9]{64}$/),
    });
    const info = await d.start({
      id: 'auth-1',
      service: 'private',
      environment: 'staging',
      version: 'v1',
      artifact,
      env: {},
      portEnv: 'PORT',
      containerPort: 8000,
      stopTimeoutMs: 2_000,
    });
    expect(info.status).toBe('running');
    await d.close({ stopInstances: true, graceMs: 2_000 });
  });

  it('starts from a recorded digest the engine no longer has: pulls it, with the credentials', async () => {
    const d = driver(PASSWORD_REF, { REGISTRY_PASSWORD: USER.password });
    const artifact = await d.resolveArtifact({ kind: 'image', image: image.ref });
    // The engine loses it (pruned, or a server restarted against another engine).
    await peer.podman(['rmi', '-f', image.ref]);
    expect(await peer.podman(['images', '-q', image.repository])).toBe('');
    const info = await d.start({
      id: 'auth-2',
      service: 'private',
      environment: 'staging',
      version: 'v1',
      artifact,
      env: {},
      portEnv: 'PORT',
      containerPort: 8000,
      stopTimeoutMs: 2_000,
    });
    expect(info.status).toBe('running');
    await d.close({ stopInstances: true, graceMs: 2_000 });
  });
});
