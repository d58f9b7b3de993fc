// The `docker` runtime: services as containers of a Docker Engine API (Docker, or Podman's
// compatible service). Images are pulled and pinned by digest before anything stops;
// containers carry gantry.* labels, are adopted by id after a server restart, and those no record
// claims are removed by their owner label (a digest of the data directory, so another Gantry using
// the same engine is never touched).
import { listSecretReferences, replaceSecretReferences } from '../../config/secret-refs.ts';
import { GantryError } from '../../lib/errors.ts';
import { type Logger, silentLogger } from '../../lib/log.ts';
import type { AdoptRecord, Artifact, InstanceInfo, InstanceSpec, WorkloadDriver } from '../driver.ts';
import { InstanceTable } from '../instance-table.ts';
import { type BackoffOptions, DEFAULT_BACKOFF } from '../local/backoff.ts';
import { ownerMarker } from '../local/orphans.ts';
import { readContainerHandle } from './container-handle.ts';
import { type ContainerContext, ContainerInstance } from './container-instance.ts';
import { Engine, EngineError, short } from './engine.ts';
import { type DockerRuntimeOptions, parseEngineAddress, type RegistryCredential } from './options.ts';
import { digestFor, imageReference, pinnedReference, pullAuth } from './requests.ts';

export interface DockerDriverOptions extends DockerRuntimeOptions {
  /** The owner marker is a digest of this directory (the server's data directory). */
  dataDir: string;
  logger?: Logger;
  backoff?: BackoffOptions;
  logBufferLines?: number;
  /** Resolves `${secret:NAME}` in registry passwords at each pull. */
  lookupSecret?: (name: string) => string | undefined | Promise<string | undefined>;
}

export const DEFAULT_LOG_BUFFER_LINES = 1000;
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function createDockerDriver(opts: DockerDriverOptions): WorkloadDriver {
  const logger = (opts.logger ?? silentLogger).child({ runtime: 'docker' });
  const engine = new Engine(parseEngineAddress(opts.host), opts.host);
  const table = new InstanceTable<ContainerInstance>('docker', logger);

  const ctx: ContainerContext = {
    engine,
    logger,
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
    logBufferLines: opts.logBufferLines ?? DEFAULT_LOG_BUFFER_LINES,
    owner: ownerMarker(opts.dataDir),
    network: opts.network,
    emit: table.emit,
  };

  async function credentialsFor(image: string): Promise<RegistryCredential | undefined> {
    const cred = pullAuth(image, opts.registries);
    if (!cred) return undefined;
    const names = listSecretReferences(cred.password);
    if (names.length === 0) return cred;
    const values = new Map<string, string>();
    for (const name of new Set(names)) {
      const value = await opts.lookupSecret?.(name);
      if (!value) {
        throw new Error(
          `the password for registry ${cred.host} refers to the secret ${name}, which is not set on this server; set it with \`gantry secrets set ${name}\``,
        );
      }
      values.set(name, value);
    }
    return { ...cred, password: replaceSecretReferences(cred.password, (n) => values.get(n) ?? '') };
  }

  /** Pulls per policy (with the registry's credentials) and answers the image's registry digest. */
  async function resolveImage(image: string): Promise<Artifact> {
    const parsed = imageReference(image);
    let digests = opts.pull === 'always' ? undefined : await engine.imageDigests(image);
    if (digests === undefined || (!parsed.digest && !digestFor(image, digests))) {
      await engine.pull(image, await credentialsFor(image));
      digests = await engine.imageDigests(image);
    }
    const digest = parsed.digest ?? digestFor(image, digests);
    if (!digest) {
      throw new Error(
        `image ${image} has no registry digest (it was never pushed or pulled); push it to a registry and deploy that reference`,
      );
    }
    logger.info({ image, digest }, 'image resolved');
    return { kind: 'image', image, digest };
  }

  async function adoptOne(rec: AdoptRecord): Promise<InstanceInfo | undefined> {
    const existing = table.find(rec.spec.id);
    const wanted = readContainerHandle(rec.handle)?.containerId;
    if (existing && existing.status !== 'stopped' && existing.containerId === wanted) return existing.info();
    validateSpec(rec.spec);
    return table.adopt(rec, () => ContainerInstance.adopt(rec, ctx));
  }

  return {
    kind: 'docker',

    async resolveArtifact(ref): Promise<Artifact> {
      if (ref.kind !== 'image') {
        throw new GantryError(
          'RUNTIME_UNAVAILABLE',
          `the docker runtime runs images, not directories (${ref.directory}); deploy with --image, or remove \`runtime: docker\` from gantry.yaml to run processes`,
        );
      }
      try {
        return await resolveImage(ref.image);
      } catch (err) {
        if (err instanceof GantryError) throw err;
        throw new GantryError('IMAGE_UNAVAILABLE', (err as Error).message);
      }
    },

    async start(spec) {
      validateSpec(spec);
      table.claimId(spec.id);
      let port: number | undefined;
      try {
        port = await table.choosePort(spec);
        table.reservePort(port);
        const artifact = spec.artifact as Extract<Artifact, { kind: 'image' }>;
        const image = pinnedReference(artifact.image, artifact.digest);
        try {
          return table.register(await ContainerInstance.start(spec, port, image, ctx));
        } catch (err) {
          // The release resolved the image moments ago, so the start does not ask again; an engine
          // that lost it since (pruned, another engine after a restart) gets it pulled, by digest.
          if (!(err instanceof EngineError && err.statusCode === 404 && err.step === 'create')) throw err;
          logger.info({ image }, 'image not in the engine; pulling it before the start');
          await engine.pull(image, await credentialsFor(image)).catch((pullErr: unknown) => {
            throw new Error(`${err.message}; pulling it failed too: ${(pullErr as Error).message}`);
          });
          return table.register(await ContainerInstance.start(spec, port, image, ctx));
        }
      } finally {
        table.releaseId(spec.id);
        if (port !== undefined) table.releasePort(port);
      }
    },

    async stop(id, stopOpts) {
      await table.stop(id, stopOpts.graceMs);
    },

    async restart(id, reason) {
      await table.mustGet(id).restart(reason);
    },

    async adopt(records) {
      const adopted: InstanceInfo[] = [];
      for (const rec of records) {
        const info = await adoptOne(rec);
        if (info) adopted.push(info);
      }
      return adopted;
    },

    async removeOrphans(claimed, graceMs) {
      const keep = (id: string) => claimed.has(id) || table.inUse(id);
      const orphans = (await engine.listOwned(ctx.owner)).filter((c) => !keep(c.instanceId));
      await Promise.all(
        orphans.map(async (c) => {
          if (c.running) await engine.stop(c.id, graceMs);
          await engine.remove(c.id);
        }),
      );
      const removed = [...new Set(orphans.map((c) => c.instanceId))].sort();
      if (removed.length > 0) {
        logger.info(
          { instances: removed, containers: orphans.map((c) => short(c.id)) },
          'removed orphan containers',
        );
      }
      return removed;
    },

    async stats(id) {
      return table.find(id)?.stats();
    },

    get: (id) => table.get(id),
    list: () => table.list(),
    recentLogs: (id, limit) => table.recentLogs(id, limit),
    subscribe: (fn) => table.subscribe(fn),
    close: (closeOpts) => table.close(closeOpts),
  };
}

function validateSpec(spec: InstanceSpec): void {
  const problems: string[] = [];
  if (!SAFE_ID.test(spec.id) || spec.id.includes('..')) {
    problems.push(`id ${JSON.stringify(spec.id)} must be letters, digits, '.', '_' or '-'`);
  }
  if (spec.artifact.kind !== 'image') {
    problems.push('the docker runtime runs images: the version has no image (deploy it with --image)');
  }
  if (!ENV_NAME.test(spec.portEnv))
    problems.push(`port_env ${JSON.stringify(spec.portEnv)} is not a variable name`);
  for (const [name, port] of [
    ['port', spec.port],
    ['run.port', spec.containerPort],
  ] as const) {
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
      problems.push(`${name} ${port} is not between 1 and 65535`);
    }
  }
  const { cpus, memoryBytes } = spec.resources ?? {};
  if (cpus !== undefined && !(cpus > 0)) problems.push(`run.resources.cpus ${cpus} must be above 0`);
  if (memoryBytes !== undefined && !(memoryBytes >= 6 * 1024 * 1024)) {
    problems.push(`run.resources.memory ${memoryBytes} bytes is below the engines' minimum of 6 MB`);
  }
  if (problems.length > 0) throw new Error(`cannot start instance ${spec.id}: ${problems.join('; ')}`);
}
