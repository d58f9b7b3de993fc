// Pure builders for the Docker Engine API requests the docker runtime sends (kamal's "commands"):
// what a container is created with, which labels mark it, which reference an image runs by, which
// credentials a pull carries. Tested by equality; nothing here talks to an engine.
import { type ImageReference, parseImageReference } from '../../config/image-ref.ts';
import type { InstanceSpec } from '../driver.ts';
import { CONTAINER_DATA_DIR, PUBLISH_HOST, type RegistryCredential } from './options.ts';

/** Labels every container of Gantry carries; `gantry.owner` tells two Gantry servers apart. */
export const LABELS = {
  service: 'gantry.service',
  environment: 'gantry.environment',
  version: 'gantry.version',
  instance: 'gantry.instance',
  owner: 'gantry.owner',
} as const;

/** What the driver decides before creating a container: where it is reached and who owns it. */
export interface CreateContext {
  /** Host port the proxy and probes use (published, or the container's own port on `host`). */
  hostPort: number;
  /** The driver's owner marker (a digest of its data directory). */
  owner: string;
  network: string;
  /** The image reference pinned by digest (`repo@sha256:…`). */
  image: string;
}

/** The body of `POST /containers/create` (Docker Engine API, as Podman also serves it). */
export interface CreateRequest {
  name: string;
  Image: string;
  Cmd?: string[];
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: {
    NetworkMode: string;
    PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>>;
    Binds?: string[];
    NanoCpus?: number;
    Memory?: number;
    RestartPolicy: { Name: 'no' };
  };
}

/** The container name of an instance (ids are already safe names; see the driver's checks). */
export function containerName(instanceId: string): string {
  return `gantry-${instanceId}`;
}

/** The labels that mark an instance's container. Never its environment: secrets live there. */
export function containerLabels(spec: InstanceSpec, owner: string): Record<string, string> {
  return {
    [LABELS.service]: spec.service,
    [LABELS.environment]: spec.environment,
    [LABELS.version]: spec.version,
    [LABELS.instance]: spec.id,
    [LABELS.owner]: owner,
  };
}

/** The port the service listens on inside the container: run.port, else the host port. */
export function listenPort(spec: InstanceSpec, ctx: Pick<CreateContext, 'hostPort' | 'network'>): number {
  if (ctx.network === 'host') return ctx.hostPort;
  return spec.containerPort ?? ctx.hostPort;
}

/** The container's environment: the spec's (secrets included), then Gantry's own variables. */
export function containerEnv(spec: InstanceSpec, port: number): string[] {
  const env: Record<string, string> = { ...spec.env };
  env[spec.portEnv] = String(port);
  if (spec.dataDir) env.GANTRY_DATA_DIR = CONTAINER_DATA_DIR;
  env.GANTRY_INSTANCE_ID = spec.id;
  env.GANTRY_SERVICE = spec.service;
  env.GANTRY_ENVIRONMENT = spec.environment;
  env.GANTRY_VERSION = spec.version;
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** An argv replaces the image's CMD; a string runs through the image's /bin/sh. */
export function containerCommand(command: InstanceSpec['command']): string[] | undefined {
  if (command === undefined) return undefined;
  if (Array.isArray(command)) return command.length > 0 ? [...command] : undefined;
  return command.trim() ? ['/bin/sh', '-c', command] : undefined;
}

export function buildCreateRequest(spec: InstanceSpec, ctx: CreateContext): CreateRequest {
  const port = listenPort(spec, ctx);
  const cmd = containerCommand(spec.command);
  const req: CreateRequest = {
    name: containerName(spec.id),
    Image: ctx.image,
    ...(cmd ? { Cmd: cmd } : {}),
    Env: containerEnv(spec, port),
    Labels: containerLabels(spec, ctx.owner),
    HostConfig: { NetworkMode: ctx.network, RestartPolicy: { Name: 'no' } },
  };
  if (ctx.network !== 'host') {
    const key = `${port}/tcp`;
    req.ExposedPorts = { [key]: {} };
    req.HostConfig.PortBindings = { [key]: [{ HostIp: PUBLISH_HOST, HostPort: String(ctx.hostPort) }] };
  }
  if (spec.dataDir) req.HostConfig.Binds = [`${spec.dataDir}:${CONTAINER_DATA_DIR}`];
  const { cpus, memoryBytes } = spec.resources ?? {};
  if (cpus !== undefined) req.HostConfig.NanoCpus = Math.round(cpus * 1e9);
  if (memoryBytes !== undefined) req.HostConfig.Memory = memoryBytes;
  return req;
}

/** The parts of an image reference; throws naming it when it is not one. */
export function imageReference(image: string): ImageReference {
  const parsed = parseImageReference(image);
  if (!parsed) {
    throw new Error(
      `${JSON.stringify(image)} is not an image reference; write it as [host[:port]/]path[:tag][@sha256:…], like 127.0.0.1:5000/shop-api:v1`,
    );
  }
  return parsed;
}

/** The registry host of an image, as Docker reads it (`docker.io` when none is named). */
export function registryHost(image: string): string {
  return imageReference(image).registry ?? 'docker.io';
}

/** The reference a version runs by: its repository pinned to the recorded digest. */
export function pinnedReference(image: string, digest: string): string {
  return `${imageReference(image).repository}@${digest}`;
}

/** The registry digest of `image` among an inspected image's RepoDigests (`repo@sha256:…`). */
export function digestFor(image: string, repoDigests: readonly string[] | undefined): string | undefined {
  const wanted = withoutDefaultRegistry(imageReference(image).repository);
  for (const entry of repoDigests ?? []) {
    const ref = parseImageReference(entry);
    if (ref?.digest && withoutDefaultRegistry(ref.repository) === wanted) return ref.digest;
  }
  return undefined;
}

/** The credentials a pull of `image` carries (X-Registry-Auth), or undefined for none. */
export function pullAuth(
  image: string,
  registries: readonly RegistryCredential[],
): RegistryCredential | undefined {
  const host = registryHost(image);
  return registries.find((r) => r.host === host);
}

/** `docker.io/library/node` and `node` name the same repository. */
function withoutDefaultRegistry(repository: string): string {
  return repository.replace(/^docker\.io\/(library\/)?/, '');
}
