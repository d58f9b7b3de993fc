// The WorkloadDriver contract suite run against the docker driver on real Podman (its Docker-
// compatible API) with images pulled from a loopback docker-registry: the contract service baked
// into an image FROM scratch with this repository's node binary (test/helpers/podman.ts).
import { afterAll, beforeAll, it } from 'vitest';
import { createDockerDriver } from '../src/runtime/index.ts';
import { runDriverContract } from './helpers/driver-contract.ts';
import { PodmanPeer, requirePodman, type TestImage } from './helpers/podman.ts';

const mode = requirePodman();
let peer: PodmanPeer | undefined;
let image: Promise<TestImage> | undefined;

beforeAll(async () => {
  if (mode === 'run') peer = await PodmanPeer.start();
}, 120_000);

afterAll(async () => {
  await peer?.close();
}, 120_000);

if (mode === 'run') {
  runDriverContract('docker (podman)', {
    makeDriver: (dataDir) =>
      createDockerDriver({
        dataDir,
        host: (peer as PodmanPeer).dockerHost,
        network: 'bridge',
        pull: 'if-not-present',
        registries: [],
        backoff: { initialMs: 50, maxMs: 400, resetAfterMs: 60_000 },
      }),
    makeArtifact: async () => {
      const p = peer as PodmanPeer;
      image ??= p.buildImage({ name: 'contract', tag: 'v1' });
      const { ref } = await image;
      return {
        ref: { kind: 'image', image: ref },
        missing: { kind: 'image', image: `${p.registry}/no-such-image:v1` },
        containerPort: 8000,
        env: { CONTRACT_HOST: '0.0.0.0' },
      };
    },
  });
} else {
  it.skip('docker driver contract (podman is not installed)', () => {});
}
