// Images over the real API of a process server: an image is refused up front with what to change,
// nothing is recorded, and an image version in the store is shown pinned by its digest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersionView } from '../src/api/types.ts';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, tempDir, writeHelloConfig } from './helpers/gantry.ts';

type ErrorBody = { error: { code: string; message: string; hint: string } };

const IMAGE = '127.0.0.1:5000/hello:v2';
const DIGEST = `sha256:${'3'.repeat(64)}`;

describe('images on a server that runs processes', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir);
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
  }, 60_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  }, 60_000);

  it('refuses to record or release an image, saying how to run images, and records nothing', async () => {
    const recorded = await api.call<ErrorBody>('POST', '/api/v1/versions/v2/image', { image: IMAGE });
    expect(recorded.status).toBe(422);
    expect(recorded.body.error).toEqual({
      code: 'RUNTIME_UNAVAILABLE',
      message: `cannot release image ${IMAGE}: this server runs services as local processes (gantry.yaml has no \`runtime: docker\`)`,
      hint: 'Container images need `runtime: docker` in gantry.yaml (then restart the server); a process server takes --artifact DIR.',
    });
    const released = await api.call<ErrorBody>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v2',
      image: IMAGE,
    });
    expect(released.status).toBe(422);
    expect(released.body.error.message).toBe(recorded.body.error.message);
    const list = await api.call<{ versions: VersionView[] }>('GET', '/api/v1/versions');
    expect(list.body.versions.map((v) => v.version)).not.toContain('v2');
  });

  it('rejects a malformed body with a 400 naming the field', async () => {
    const r = await api.call<ErrorBody>('POST', '/api/v1/versions/v2/image', { image: '', tag: 'x' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('BAD_REQUEST');
  });

  it('lists an image version as repo@digest, and will not run it as a process', async () => {
    await server.store.versions.create({
      service: 'hello',
      version: 'v3',
      artifactKind: 'image',
      artifactRef: `127.0.0.1:5000/hello@${DIGEST}`,
      sha256: DIGEST.slice('sha256:'.length),
      sizeBytes: null,
      gitRef: 'refs/tags/v3',
      gitCommit: null,
    });
    const list = await api.call<{ versions: VersionView[] }>('GET', '/api/v1/versions');
    expect(list.body.versions.find((v) => v.version === 'v3')).toMatchObject({
      artifactKind: 'image',
      image: `127.0.0.1:5000/hello@${DIGEST}`,
      digest: DIGEST,
    });
    const r = await api.call<ErrorBody>('POST', '/api/v1/releases', {
      environment: 'staging',
      version: 'v3',
    });
    expect(r.status).toBe(422);
    expect(r.body.error.message).toBe(
      `version v3 is the image 127.0.0.1:5000/hello@${DIGEST}, but this server runs local processes: set \`runtime: docker\` in gantry.yaml and restart the server`,
    );
    expect(
      (await api.status()).environments.find((e) => e.name === 'staging')?.currentVersion ?? null,
    ).toBeNull();
  });

  it('takes a trivy image report of the version digest, and refuses one of other bytes', async () => {
    const report = (name: string, repoDigests: string[]) =>
      JSON.stringify({
        SchemaVersion: 2,
        ArtifactName: name,
        ArtifactType: 'container_image',
        Metadata: { RepoDigests: repoDigests },
        Results: [{ Target: name, Class: 'os-pkgs', Type: 'alpine', Vulnerabilities: [] }],
      });
    const put = async (body: string) => {
      const res = await fetch(`${api.base}/api/v1/versions/v3/scan`, {
        method: 'PUT',
        headers: { ...api.headers(), 'content-type': 'application/json' },
        body,
      });
      return { status: res.status, body: (await res.json()) as ErrorBody };
    };
    const other = await put(
      report('127.0.0.1:5000/hello:v3', [`127.0.0.1:5000/hello@sha256:${'4'.repeat(64)}`]),
    );
    expect(other.status).toBe(422);
    expect(other.body.error).toEqual({
      code: 'BAD_SCAN_REPORT',
      message: `the report scanned 127.0.0.1:5000/hello:v3, but the version is 127.0.0.1:5000/hello@${DIGEST} (other bytes): nothing was stored`,
      hint: `Scan the image you release: trivy image --format json --output report.json 127.0.0.1:5000/hello@${DIGEST}`,
    });
    const missing = await api.call<ErrorBody>('GET', '/api/v1/versions/v3/scan');
    expect(missing.status).toBe(404);
    const same = await put(report('127.0.0.1:5000/hello:v3', [`127.0.0.1:5000/hello@${DIGEST}`]));
    expect(same.status).toBe(201);
  });
});
