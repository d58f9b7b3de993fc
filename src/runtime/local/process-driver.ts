// The `process` runtime: services as supervised local child processes.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger, silentLogger } from '../../lib/log.ts';
import type { AdoptRecord, InstanceInfo, InstanceSpec, StopOptions, WorkloadDriver } from '../driver.ts';
import { InstanceTable } from '../instance-table.ts';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.ts';
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
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function createProcessDriver(opts: ProcessDriverOptions): WorkloadDriver {
  const logger = (opts.logger ?? silentLogger).child({ runtime: 'process' });
  const table = new InstanceTable<SupervisedInstance>('process', logger);
  const usage = createGroupUsageMeter();

  const ctx: InstanceContext = {
    dataDir: opts.dataDir,
    logger,
    backoff: opts.backoff ?? DEFAULT_BACKOFF,
    logBufferLines: opts.logBufferLines ?? DEFAULT_LOG_BUFFER_LINES,
    owner: ownerMarker(opts.dataDir),
    emit: table.emit,
  };

  async function adoptOne(rec: AdoptRecord): Promise<InstanceInfo | undefined> {
    const existing = table.find(rec.spec.id);
    const pid = readProcessHandle(rec.handle)?.pid;
    if (existing && existing.status !== 'stopped' && pid !== undefined && existing.pid === pid) {
      return existing.info();
    }
    validateSpec(rec.spec);
    return table.adopt(rec, () => SupervisedInstance.adopt(rec, ctx));
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
      table.claimId(spec.id);
      let port: number | undefined;
      try {
        port = await table.choosePort(spec);
        table.reservePort(port);
        return table.register(await SupervisedInstance.start(spec, port, ctx));
      } finally {
        table.releaseId(spec.id);
        if (port !== undefined) table.releasePort(port);
      }
    },

    async stop(id, stopOpts: StopOptions) {
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
      const removed = await removeOrphanInstances({
        owner: ctx.owner,
        instancesDir: join(opts.dataDir, 'instances'),
        keep: (id) => claimed.has(id) || table.inUse(id),
        graceMs,
      });
      if (removed.length > 0) logger.info({ instances: removed }, 'removed orphan instances');
      return removed;
    },

    async stats(id) {
      const pid = table.find(id)?.pid;
      if (pid === undefined) {
        usage.forget(id);
        return undefined;
      }
      return usage.read(id, pid);
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
