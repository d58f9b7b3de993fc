// A real container engine for the docker runtime's tests: Podman's Docker-compatible API
// (`podman system service`) and Debian's `docker-registry` on loopback, with test images built
// FROM scratch around this repository's node binary (nothing can be pulled from the internet).
//
// Every peer gets its own storage, run root and configuration under one temporary directory
// (CONTAINERS_CONF / CONTAINERS_REGISTRIES_CONF point there), so test files running at the same time
// and the machine's own Podman never see each other's containers or images; `/etc/containers` is not
// needed. Locally a missing Podman skips the tests; under CI=true it fails them (see peers.ts).
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, repoRoot } from './gantry.ts';
import { hasExecutable, type PeerProcess, requirePeer, startPeer } from './peers.ts';

const run = promisify(execFile);

const PODMAN = '/usr/bin/podman';
const RUNC = '/usr/sbin/runc';
const REGISTRY = '/usr/bin/docker-registry';
/** Where test images keep their node binary and the test services. */
export const IMAGE_NODE = '/usr/local/bin/node';
export const IMAGE_APP_DIR = '/app';
const BASE_IMAGE = 'localhost/gantry-test-base:latest';
/** Bound of one podman CLI call (an import or push of the ~130 MB base takes a few seconds). */
const PODMAN_CALL_MS = 120_000;

/** The services a test image carries under /app (Node built-ins only). */
const IMAGE_SERVICES = [
  path.join(repoRoot, 'test/fixtures/services'),
  path.join(repoRoot, 'test/fixtures/images'),
];

/** 'run' when Podman, runc and docker-registry are installed; else 'skip' (or throws under CI=true). */
export function requirePodman(): 'run' | 'skip' {
  const missing = [PODMAN, RUNC, REGISTRY].filter((f) => !hasExecutable(f));
  return requirePeer(
    'podman',
    missing.length === 0,
    `${missing.join(', ')} not installed (apt-get install podman runc docker-registry)`,
  );
}

export interface TestImage {
  /** `127.0.0.1:PORT/name:tag`, pushed to the registry and removed from the engine's own store. */
  ref: string;
  repository: string;
  tag: string;
}

export interface ImageOptions {
  /** Repository name in the registry (e.g. `shop`). */
  name: string;
  tag: string;
  /** Variables baked into the image (ENV). */
  env?: Record<string, string>;
  /** The image's CMD (default: the contract service). */
  cmd?: string[];
  /** Keep the image in the engine's store too (default false: a start must pull it). */
  keepLocal?: boolean;
}

export class PodmanPeer {
  readonly dir: string;
  readonly socketPath: string;
  /** `127.0.0.1:PORT`, the loopback registry (plain HTTP, marked insecure for this engine). */
  readonly registry: string;
  readonly #service: PeerProcess;
  readonly #registry: PeerProcess;
  readonly #env: NodeJS.ProcessEnv;
  readonly #auth: RegistryUser | undefined;
  #base: Promise<void> | undefined;

  private constructor(
    dir: string,
    registry: string,
    service: PeerProcess,
    registryPeer: PeerProcess,
    env: NodeJS.ProcessEnv,
    auth: RegistryUser | undefined,
  ) {
    this.dir = dir;
    this.socketPath = path.join(dir, 'podman.sock');
    this.registry = registry;
    this.#service = service;
    this.#registry = registryPeer;
    this.#env = env;
    this.#auth = auth;
  }

  /** `unix://…/podman.sock`, the value of runtime.docker.host. */
  get dockerHost(): string {
    return `unix://${this.socketPath}`;
  }

  /** With `auth`, the registry asks for that user (htpasswd, bcrypt) and pushes carry it. */
  static async start(opts: { auth?: RegistryUser } = {}): Promise<PodmanPeer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-podman-'));
    const registryPort = await freePort();
    const registry = `127.0.0.1:${registryPort}`;
    await writeConfigs(dir, registry, opts.auth ? await writeHtpasswd(dir, opts.auth) : undefined);
    const env = {
      ...process.env,
      CONTAINERS_CONF: path.join(dir, 'containers.conf'),
      CONTAINERS_REGISTRIES_CONF: path.join(dir, 'registries.conf'),
    };
    const registryPeer = startPeer([REGISTRY, 'serve', path.join(dir, 'registry.yml')], { env });
    await registryPeer.waitFor(`the registry on ${registry}`, () =>
      fetch(`http://${registry}/v2/`).then(
        (r) => (r.ok || r.status === 401 ? true : undefined),
        () => undefined,
      ),
    );
    const socketPath = path.join(dir, 'podman.sock');
    const service = startPeer(
      [PODMAN, ...storageArgs(dir), 'system', 'service', '--time=0', `unix://${socketPath}`],
      { env },
    );
    const peer = new PodmanPeer(dir, registry, service, registryPeer, env, opts.auth);
    await service.waitFor('the podman API socket', () => peer.#ping());
    return peer;
  }

  /** Runs the podman CLI over this peer's storage; returns its stdout. */
  async podman(args: string[], timeoutMs = PODMAN_CALL_MS): Promise<string> {
    try {
      const { stdout } = await run(PODMAN, [...storageArgs(this.dir), ...args], {
        env: this.#env,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`podman ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
    }
  }

  /** Builds `registry/name:tag` FROM the base image (built once), pushes it, and drops the local copy. */
  async buildImage(opts: ImageOptions): Promise<TestImage> {
    this.#base ??= this.#buildBase();
    await this.#base;
    const repository = `${this.registry}/${opts.name}`;
    const ref = `${repository}:${opts.tag}`;
    const lines = [`FROM ${BASE_IMAGE}`];
    for (const [k, v] of Object.entries(opts.env ?? {})) lines.push(`ENV ${k}=${JSON.stringify(v)}`);
    if (opts.cmd) lines.push(`CMD ${JSON.stringify(opts.cmd)}`);
    const ctx = await mkdtemp(path.join(this.dir, 'build-'));
    await writeFile(path.join(ctx, 'Containerfile'), `${lines.join('\n')}\n`);
    await this.podman(['build', '--pull=never', '-q', '-t', ref, '-f', path.join(ctx, 'Containerfile'), ctx]);
    const creds = this.#auth ? ['--creds', `${this.#auth.username}:${this.#auth.password}`] : [];
    await this.podman(['push', '-q', ...creds, ref]);
    if (!opts.keepLocal) await this.podman(['rmi', ref]);
    await rm(ctx, { recursive: true, force: true });
    return { ref, repository, tag: opts.tag };
  }

  /** Containers of this engine as `podman ps -a` sees them (id, labels, state). */
  async containers(): Promise<Array<{ Id: string; Labels: Record<string, string> | null; State: string }>> {
    return JSON.parse(await this.podman(['ps', '-a', '--format', 'json'])) as Array<{
      Id: string;
      Labels: Record<string, string> | null;
      State: string;
    }>;
  }

  async close(): Promise<void> {
    await this.podman(['rm', '-a', '-f', '-t', '0']).catch(() => undefined);
    this.#service.signal('SIGTERM');
    this.#registry.signal('SIGTERM');
    await Promise.all([this.#service.waitForExit(20_000), this.#registry.waitForExit(20_000)]).catch(() => {
      this.#service.signal('SIGKILL');
      this.#registry.signal('SIGKILL');
    });
    await unmountUnder(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }

  #ping(): Promise<true | undefined> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socketPath, path: '/_ping', timeout: 5_000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? true : undefined);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  }

  /** A rootfs holding node, the libraries it links and the test services, imported as one layer. */
  async #buildBase(): Promise<void> {
    const rootfs = path.join(this.dir, 'rootfs');
    const node = process.execPath;
    await mkdir(path.join(rootfs, path.dirname(IMAGE_NODE).slice(1)), { recursive: true });
    await copyFile(node, path.join(rootfs, IMAGE_NODE.slice(1)));
    for (const lib of await sharedLibraries(node)) {
      await mkdir(path.join(rootfs, path.dirname(lib).slice(1)), { recursive: true });
      await copyFile(lib, path.join(rootfs, lib.slice(1)));
    }
    const app = path.join(rootfs, IMAGE_APP_DIR.slice(1));
    await mkdir(app, { recursive: true });
    for (const dir of IMAGE_SERVICES) {
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        if (f.endsWith('.mjs')) await cp(path.join(dir, f), path.join(app, f));
      }
    }
    await mkdir(path.join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
    const tarball = path.join(this.dir, 'rootfs.tar');
    await run('tar', ['-C', rootfs, '-cf', tarball, '.'], { timeout: PODMAN_CALL_MS });
    await this.podman([
      'import',
      '-q',
      '--change',
      `WORKDIR ${IMAGE_APP_DIR}`,
      '--change',
      `CMD ["${IMAGE_NODE}", "${IMAGE_APP_DIR}/contract-service.mjs"]`,
      '--change',
      'ENV CONTRACT_HOST=0.0.0.0',
      tarball,
      BASE_IMAGE,
    ]);
    await rm(rootfs, { recursive: true, force: true });
    await rm(tarball, { force: true });
  }
}

/** Global options that keep this peer's storage apart from the machine's (and other tests'). */
function storageArgs(dir: string): string[] {
  return [
    '--root',
    path.join(dir, 'storage'),
    '--runroot',
    path.join(dir, 'run'),
    '--tmpdir',
    path.join(dir, 'libpod'),
  ];
}

/**
 * containers.conf as these machines need it (no default ulimits, runc), plus
 * cgroupfs and file events, since no systemd runs here. registries.conf marks the loopback
 * registry insecure (plain HTTP), as a Docker user lists it under `insecure-registries`.
 */
async function writeConfigs(dir: string, registry: string, htpasswd?: string): Promise<void> {
  await writeFile(
    path.join(dir, 'containers.conf'),
    [
      '[containers]',
      'default_ulimits = []',
      '',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'registries.conf'),
    [
      'unqualified-search-registries = []',
      '',
      '[[registry]]',
      `location = "${registry}"`,
      'insecure = true',
      '',
    ].join('\n'),
  );
  await writeFile(
    path.join(dir, 'registry.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'registry')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${registry}`,
      '  secret: gantry-test-only',
      ...(htpasswd ? ['auth:', '  htpasswd:', '    realm: gantry-test', `    path: ${htpasswd}`] : []),
      '',
    ].join('\n'),
  );
}

export interface RegistryUser {
  username: string;
  password: string;
}

/**
 * An htpasswd file for docker-registry, which takes bcrypt only: hashed by Debian's Python (its
 * crypt module uses libcrypt's bcrypt), the one bcrypt at hand without a new dependency.
 */
async function writeHtpasswd(dir: string, user: RegistryUser): Promise<string> {
  const { stdout } = await run(
    '/usr/bin/python3',
    [
      '-W',
      'ignore',
      '-c',
      'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))',
      user.password,
    ],
    { timeout: 30_000 },
  );
  const file = path.join(dir, 'htpasswd');
  await writeFile(file, `${user.username}:${stdout.trim()}\n`);
  return file;
}

/** The shared libraries `bin` loads, from ldd (absolute paths, symlinks resolved by the copy). */
async function sharedLibraries(bin: string): Promise<string[]> {
  const { stdout } = await run('ldd', [bin], { timeout: 30_000 });
  return [...stdout.matchAll(/(\/[^\s)]+)/g)].map((m) => m[1] as string).filter((p) => p !== bin);
}

/** Unmounts what the engine left mounted under `dir` (its overlay home), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
}
