// The `process` runtime: services as supervised local child processes (DESIGN §9).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GantryError } from '../../lib/errors.ts';
import { type Logger, silentLogger } from '../../lib/log.ts';
import type {
  AdoptRecord,
  InstanceInfo,
  InstanceSpec,
  LogLine,
  RuntimeEvent,
  StopOptions,
  WorkloadDriver,
} from '../driver.ts';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.ts';
import { pickFreePort } from './free-port.ts';
import { createGroupUsageMeter } from './group-usage.ts';
import { ownerMarker, removeOrphanInstances } from './orphans.ts';
import { readProcessHandle } from './process-handle.ts';
import { shellLine } from './shell-line.ts';
import { type InstanceContext, SupervisedInstance } from './supervised-instance.ts';

export interface ProcessDriverOptions {
  /** Output files and working copies live under `<dataDir>/instances/<id>/`. */
  dataDir: string;
  logger?: Logger;
  backoff?: BackoffOptions;
  /** Lines of recent output kept per instance for `recentLogs` (default 1000). */
  logBufferLines?: number;
}

export const DEFAULT_LOG_BUFFER_LINES = 1000;
/** Stopped instances stay visible to `get`/`recentLogs` until this many newer ones have stopped. */
const STOPPED_KEPT = 100;
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function createProcessDriver(opts: ProcessDriverOptions): WorkloadDriver {
  const logger = (opts.logger ?? silentLogger).child({ runtime: 'process' });
  const instances = new Map<string, SupervisedInstance>();
  const pendingIds = new Set<string>();
  const pendingPorts = new Set<number>();
  const stoppedOrder: string[] = [];
  const listeners = new Set<(e: RuntimeEvent) => void>();
  const usage = createGroupUsageMeter();
  let closed = false;

  const ctx: InstanceContext = {
    dataDir: opts.dataDir,
    logger,
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
    logBufferLines: opts.logBufferLines ?? DEFAULT_LOG_BUFFER_LINES,
    owner: ownerMarker(opts.dataDir),
    emit: (e) => {
      for (const fn of listeners) {
        try {
          fn(e);
        } catch (err) {
          logger.error({ err: (err as Error).message, event: e.type }, 'runtime event listener failed');
        }
      }
    },
  };

  function takenPorts(): Set<number> {
    const ports = new Set(pendingPorts);
    for (const inst of instances.values()) if (inst.status !== 'stopped') ports.add(inst.port);
    return ports;
  }

  async function choosePort(spec: InstanceSpec): Promise<number> {
    if (spec.port !== undefined) return spec.port;
    for (;;) {
      const port = await pickFreePort(takenPorts());
      // Another start may have picked the same port while we awaited.
      if (!takenPorts().has(port)) return port;
    }
  }

  /** Reserves an id for a start or adoption, or throws when it is in use. */
  function claimId(id: string): void {
    if (closed) throw new Error('the process runtime is closed; no instance can be started');
    const existing = instances.get(id);
    if (pendingIds.has(id) || (existing && existing.status !== 'stopped')) {
      throw new Error(`instance ${id} already exists; stop it first or use a new instance id`);
    }
    pendingIds.add(id);
  }

  function register(inst: SupervisedInstance): InstanceInfo {
    const index = stoppedOrder.indexOf(inst.spec.id);
    if (index >= 0) stoppedOrder.splice(index, 1);
    instances.set(inst.spec.id, inst);
    return inst.info();
  }

  function forgetOldStopped(id: string): void {
    stoppedOrder.push(id);
    while (stoppedOrder.length > STOPPED_KEPT) {
      const old = stoppedOrder.shift() as string;
      if (instances.get(old)?.status === 'stopped') instances.delete(old);
    }
  }

  function mustGet(id: string): SupervisedInstance {
    const inst = instances.get(id);
    if (!inst) {
      throw new GantryError('NOT_FOUND', `instance ${id} is not run by this server's process runtime`, {
        hint: 'Run `gantry status` to list the instances of each environment.',
      });
    }
    return inst;
  }

  async function adoptOne(rec: AdoptRecord): Promise<InstanceInfo | undefined> {
    const existing = instances.get(rec.spec.id);
    const pid = readProcessHandle(rec.handle)?.pid;
    if (existing && existing.status !== 'stopped' && pid !== undefined && existing.pid === pid) {
      return existing.info();
    }
    validateSpec(rec.spec);
    claimId(rec.spec.id);
    pendingPorts.add(rec.port);
    try {
      const inst = await SupervisedInstance.adopt(rec, ctx);
      return inst ? register(inst) : undefined;
    } finally {
      pendingIds.delete(rec.spec.id);
      pendingPorts.delete(rec.port);
    }
  }

  return {
    kind: 'process',

    async resolveArtifact(ref) {
      if (ref.kind !== 'directory') {
        throw new Error(
          `the process runtime runs unpacked directories, not images (${ref.image}); set \`runtime: docker\` in gantry.yaml to run images`,
        );
      }
      const info = await stat(ref.directory).catch(() => undefined);
      if (!info?.isDirectory()) {
        throw new Error(
          `artifact directory ${ref.directory} does not exist; upload the version again (\`gantry upload\`)`,
        );
      }
      return { kind: 'directory', directory: ref.directory };
    },

    async start(spec) {
      validateSpec(spec);
      claimId(spec.id);
      let port: number | undefined;
      try {
        port = await choosePort(spec);
        pendingPorts.add(port);
        return register(await SupervisedInstance.start(spec, port, ctx));
      } finally {
        pendingIds.delete(spec.id);
        if (port !== undefined) pendingPorts.delete(port);
      }
    },

    async stop(id, stopOpts: StopOptions) {
      const inst = instances.get(id);
      if (!inst) return;
      const wasStopped = inst.status === 'stopped';
      await inst.stop(stopOpts.graceMs);
      if (!wasStopped && !stoppedOrder.includes(id)) forgetOldStopped(id);
    },

    async restart(id, reason) {
      await mustGet(id).restart(reason);
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
      const removed = await removeOrphanInstances({
        owner: ctx.owner,
        instancesDir: join(opts.dataDir, 'instances'),
        keep: (id) =>
          claimed.has(id) || pendingIds.has(id) || (instances.get(id)?.status ?? 'stopped') !== 'stopped',
        graceMs,
      });
      if (removed.length > 0) logger.info({ instances: removed }, 'removed orphan instances');
      return removed;
    },

    async stats(id) {
      const pid = instances.get(id)?.pid;
      if (pid === undefined) {
        usage.forget(id);
        return undefined;
      }
      return usage.read(id, pid);
    },

    get(id) {
      return instances.get(id)?.info();
    },

    list() {
      return [...instances.values()].map((inst) => inst.info());
    },

    recentLogs(id, limit): LogLine[] {
      return instances.get(id)?.recentLogs(limit) ?? [];
    },

    subscribe(fn) {
      listeners.add(fn);
      return () => {
        listeners.delete(fn);
      };
    },

    async close(closeOpts) {
      closed = true;
      const all = [...instances.values()];
      if (closeOpts.stopInstances) await Promise.all(all.map((inst) => inst.stop(closeOpts.graceMs)));
      await Promise.all(all.map((inst) => inst.detach()));
      listeners.clear();
    },
  };
}

function validateSpec(spec: InstanceSpec): void {
  const problems: string[] = [];
  if (!SAFE_ID.test(spec.id) || spec.id.includes('..')) {
    problems.push(`id ${JSON.stringify(spec.id)} must be letters, digits, '.', '_' or '-'`);
  }
  if (!shellLine(spec.command ?? '').trim()) problems.push('run.command is empty');
  if (!ENV_NAME.test(spec.portEnv))
    problems.push(`port_env ${JSON.stringify(spec.portEnv)} is not a variable name`);
  if (spec.port !== undefined && !(Number.isInteger(spec.port) && spec.port > 0 && spec.port < 65536)) {
    problems.push(`port ${spec.port} is not between 1 and 65535`);
  }
  if (problems.length > 0) {
    throw new Error(`cannot start instance ${spec.id}: ${problems.join('; ')}`);
  }
}
