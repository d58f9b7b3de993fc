// One instance under supervision: its current process, its output files and its restart policy.
// Stop, restart and relaunch run one at a time through a queue, so they never interleave.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.ts';
import type {
  AdoptRecord,
  InstanceExit,
  InstanceInfo,
  InstanceSpec,
  InstanceStatus,
  LogLine,
  RuntimeEvent,
} from '../driver.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { buildInstanceEnv } from './instance-env.ts';
import { LogTail } from './log-tail.ts';
import { type RunningProcess, spawnProcess, terminateProcess, watchProcess } from './os-process.ts';
import { isSameLiveProcess } from './proc-stat.ts';
import { processHandle, readProcessHandle } from './process-handle.ts';
import { RingBuffer } from './ring-buffer.ts';
import { shellLine } from './shell-line.ts';
import { makeWorkingCopy, mkdirPrivate, workingCopyPath } from './working-copy.ts';

export const INSTANCE_HOST = '127.0.0.1';

export interface InstanceContext {
  dataDir: string;
  logger: Logger;
  backoff: BackoffOptions;
  logBufferLines: number;
  /** Marks the instances of this driver (its data directory), so orphans are found and others left alone. */
  owner: string;
  emit: (e: RuntimeEvent) => void;
}

type Intent = 'run' | 'stop' | 'detach';

export class SupervisedInstance {
  readonly spec: InstanceSpec;
  readonly port: number;
  readonly dir: string;
  #ctx: InstanceContext;
  #log: Logger;
  #status: InstanceStatus = 'starting';
  #intent: Intent = 'run';
  #proc: RunningProcess | undefined;
  /** The process being ended on purpose, whose exit must not count as a crash. */
  #killing: RunningProcess | undefined;
  #restarts: number;
  #startedAt: number | null = null;
  #lastExit: InstanceExit | null = null;
  #backoff: Backoff;
  #timer: NodeJS.Timeout | undefined;
  #lines: RingBuffer<LogLine>;
  #tails: LogTail[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #stopped: Promise<void> | undefined;

  /** Creates the instance's files and working copy, then spawns its first process. */
  static async start(spec: InstanceSpec, port: number, ctx: InstanceContext): Promise<SupervisedInstance> {
    const inst = new SupervisedInstance(spec, port, 0, ctx);
    try {
      if (spec.artifact.kind !== 'directory') {
        throw new Error(
          `the process runtime runs unpacked directories, not images (${spec.artifact.image}); set \`runtime: docker\` in gantry.yaml to run images`,
        );
      }
      await makeWorkingCopy(spec.artifact.directory, inst.dir);
      // Private: the raw output holds whatever the service prints, secrets included.
      await writeFile(join(inst.dir, 'stdout.log'), '', { mode: 0o600 });
      await writeFile(join(inst.dir, 'stderr.log'), '', { mode: 0o600 });
      await inst.#openTails(false);
      await inst.#spawn();
    } catch (err) {
      await inst.#closeTails(true);
      await rm(inst.dir, { recursive: true, force: true });
      throw err;
    }
    return inst;
  }

  /** Takes over a process left by a previous server; undefined when that process is gone. */
  static async adopt(rec: AdoptRecord, ctx: InstanceContext): Promise<SupervisedInstance | undefined> {
    const handle = readProcessHandle(rec.handle);
    if (!handle || !isSameLiveProcess(handle.pid, handle.startTime)) return undefined;
    const inst = new SupervisedInstance(rec.spec, rec.port, rec.restarts, ctx);
    await mkdirPrivate(inst.dir);
    await inst.#openTails(true);
    inst.#attach(watchProcess(handle.pid, handle.startTime));
    inst.#log.info({ pid: handle.pid }, 'instance adopted');
    return inst;
  }

  private constructor(spec: InstanceSpec, port: number, restarts: number, ctx: InstanceContext) {
    this.spec = spec;
    this.port = port;
    this.dir = join(ctx.dataDir, 'instances', spec.id);
    this.#ctx = ctx;
    this.#restarts = restarts;
    this.#backoff = new Backoff(ctx.backoff);
    this.#lines = new RingBuffer(ctx.logBufferLines);
    this.#log = ctx.logger.child({
      instance: spec.id,
      service: spec.service,
      environment: spec.environment,
      version: spec.version,
    });
  }

  get status(): InstanceStatus {
    return this.#status;
  }

  info(): InstanceInfo {
    return {
      id: this.spec.id,
      spec: this.spec,
      status: this.#status,
      handle: this.#proc ? processHandle(this.#proc.pid, this.#proc.pidStartTime) : null,
      port: this.port,
      host: INSTANCE_HOST,
      restarts: this.#restarts,
      startedAt: this.#startedAt,
      lastExit: this.#lastExit,
    };
  }

  recentLogs(limit?: number): LogLine[] {
    return this.#lines.last(limit);
  }

  /** Leader of the current process group, for resource stats; undefined while nothing runs. */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** Stops for good: cancels a pending restart, ends the process group, then removes the files. */
  stop(graceMs: number): Promise<void> {
    if (this.#stopped) return this.#stopped;
    this.#intent = 'stop';
    clearTimeout(this.#timer);
    this.#stopped = this.#enqueue(async () => {
      const proc = this.#proc;
      if (proc) {
        this.#status = 'stopping';
        this.#killing = proc;
        this.#log.info({ pid: proc.pid, graceMs }, 'stopping instance');
        this.#lastExit = await terminateProcess(proc, graceMs);
        this.#proc = undefined;
      }
      this.#status = 'stopped';
      await this.#closeTails(true);
      await rm(this.dir, { recursive: true, force: true });
      this.#log.info({ exit: this.#lastExit }, 'instance stopped');
      this.#ctx.emit({ type: 'stopped', instance: this.info() });
    });
    return this.#stopped;
  }

  /**
   * Ends the current process gracefully (if any) and starts a new one at once, counting a restart.
   * A no-op once a stop was asked for: a liveness failure racing with a stop must not revive it.
   */
  restart(reason: string): Promise<void> {
    if (this.#intent !== 'run') {
      this.#log.info({ reason }, 'restart ignored: the instance is stopped');
      return Promise.resolve();
    }
    clearTimeout(this.#timer);
    return this.#enqueue(async () => {
      if (this.#intent !== 'run') return;
      clearTimeout(this.#timer);
      const proc = this.#proc;
      this.#log.info({ pid: proc?.pid ?? null, reason }, 'restarting instance');
      if (proc) {
        this.#status = 'stopping';
        this.#killing = proc;
        const exit = await terminateProcess(proc, this.spec.stopTimeoutMs);
        this.#proc = undefined;
        this.#lastExit = exit;
        await this.#drainAfterExit();
        this.#ctx.emit({ type: 'exited', instance: this.info(), exit, restartInMs: 0 });
      }
      if (this.#intent !== 'run') return;
      this.#restarts++;
      await this.#spawnOrRetry();
    });
  }

  /** Stops supervising and leaves the process running, so a later server can adopt it. */
  detach(): Promise<void> {
    if (this.#intent === 'run') this.#intent = 'detach';
    clearTimeout(this.#timer);
    return this.#enqueue(async () => {
      this.#proc?.detach();
      await this.#closeTails(false);
    });
  }

  async #spawn(): Promise<void> {
    // Made again at each launch: a data directory removed by hand comes back (empty) on a restart.
    if (this.spec.dataDir) await mkdirPrivate(this.spec.dataDir);
    const env = buildInstanceEnv(this.spec, this.port, this.#ctx.owner);
    const proc = await spawnProcess({
      command: shellLine(this.spec.command ?? ''),
      cwd: workingCopyPath(this.dir),
      env,
      stdoutPath: join(this.dir, 'stdout.log'),
      stderrPath: join(this.dir, 'stderr.log'),
    });
    this.#attach(proc);
    this.#log.info({ pid: proc.pid, port: this.port, restarts: this.#restarts }, 'instance started');
    this.#ctx.emit({ type: 'started', instance: this.info() });
  }

  async #spawnOrRetry(): Promise<void> {
    try {
      await this.#spawn();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'could not start instance');
      this.#scheduleRestart({ code: null, signal: null, at: Date.now() });
    }
  }

  #attach(proc: RunningProcess): void {
    this.#proc = proc;
    this.#status = 'running';
    this.#startedAt = Date.now();
    proc.exited.then((exit) => this.#onExit(proc, exit));
  }

  async #onExit(proc: RunningProcess, exit: InstanceExit): Promise<void> {
    if (proc !== this.#proc || proc === this.#killing || this.#intent !== 'run') return;
    this.#proc = undefined;
    this.#lastExit = exit;
    this.#status = 'backoff';
    await this.#drainAfterExit();
    if (this.#intent !== 'run' || this.#proc) return;
    this.#scheduleRestart(exit);
  }

  #scheduleRestart(exit: InstanceExit): void {
    const ranMs = this.#startedAt === null ? 0 : exit.at - this.#startedAt;
    const delay = this.#backoff.nextDelay(ranMs);
    this.#status = 'backoff';
    this.#log.warn({ exit, restartInMs: delay, restarts: this.#restarts }, 'instance exited unexpectedly');
    this.#ctx.emit({ type: 'exited', instance: this.info(), exit, restartInMs: delay });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#enqueue(async () => {
        if (this.#intent !== 'run' || this.#proc) return;
        this.#restarts++;
        await this.#spawnOrRetry();
      }).catch((err) => this.#log.error({ err: (err as Error).message }, 'restart failed'));
    }, delay);
  }

  /** Reads the last output of an exited process; its unfinished last line is complete now. */
  async #drainAfterExit(): Promise<void> {
    for (const tail of this.#tails) {
      await tail.drain();
      tail.flushPartial();
    }
  }

  async #openTails(fromEnd: boolean): Promise<void> {
    for (const stream of ['stdout', 'stderr'] as const) {
      const tail = new LogTail({
        path: join(this.dir, `${stream}.log`),
        stream,
        fromEnd,
        onLine: (line) => {
          this.#lines.push(line);
          this.#ctx.emit({ type: 'log', instanceId: this.spec.id, line });
        },
        onError: (err) =>
          this.#log.warn({ err: (err as Error).message, stream }, 'cannot read instance output'),
      });
      await tail.open();
      this.#tails.push(tail);
    }
  }

  async #closeTails(final: boolean): Promise<void> {
    await Promise.all(this.#tails.map((t) => t.close({ final })));
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}
