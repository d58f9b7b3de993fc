// One instance under supervision in a container: its container (kept across restarts, so the handle
// and the id stay the same), its output read from the engine's attach stream, and its restart
// policy. Stop, restart and relaunch run one at a time through a queue, as for processes.
import { mkdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from '../../lib/log.ts';
import type {
  AdoptRecord,
  InstanceExit,
  InstanceHandle,
  InstanceInfo,
  InstanceSpec,
  InstanceStats,
  InstanceStatus,
  LogLine,
  RuntimeEvent,
} from '../driver.ts';
import { Backoff, type BackoffOptions } from '../local/backoff.ts';
import { LineSplitter } from '../local/line-splitter.ts';
import { RingBuffer } from '../local/ring-buffer.ts';
import { containerHandle, readContainerHandle } from './container-handle.ts';
import { type Engine, type OutputStreams, short } from './engine.ts';
import { PUBLISH_HOST } from './options.ts';
import { buildCreateRequest, LABELS } from './requests.ts';
import { type CpuReading, cpuPercentBetween, cpuReading, memoryInUse } from './stats.ts';

/** How long a stopped container's last output may take to arrive before the stream is cut. */
const OUTPUT_DRAIN_MS = 2_000;
/** Pause before asking the engine again when a wait for the container's exit failed. */
const WAIT_RETRY_MS = 1_000;

export interface ContainerContext {
  engine: Engine;
  logger: Logger;
  backoff: BackoffOptions;
  logBufferLines: number;
  owner: string;
  network: string;
  emit: (e: RuntimeEvent) => void;
}

type Intent = 'run' | 'stop' | 'detach';

/** One run of the container, from its start to its exit. */
interface Run {
  exited: Promise<InstanceExit>;
  abort: AbortController;
  output: OutputStreams | undefined;
  /** Ended on purpose (stop, restart): its exit is no crash. */
  killing: boolean;
}

export class ContainerInstance {
  readonly spec: InstanceSpec;
  readonly port: number;
  readonly containerId: string;
  #ctx: ContainerContext;
  #log: Logger;
  #status: InstanceStatus = 'starting';
  #intent: Intent = 'run';
  #run: Run | undefined;
  #restarts: number;
  #startedAt: number | null = null;
  #lastExit: InstanceExit | null = null;
  #backoff: Backoff;
  #timer: NodeJS.Timeout | undefined;
  #lines: RingBuffer<LogLine>;
  #cpu: CpuReading | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #stopped: Promise<void> | undefined;

  /** Creates the container from `image` (pinned by digest) and starts it. */
  static async start(
    spec: InstanceSpec,
    port: number,
    image: string,
    ctx: ContainerContext,
  ): Promise<ContainerInstance> {
    if (spec.dataDir) await mkdir(spec.dataDir, { recursive: true });
    const req = buildCreateRequest(spec, { hostPort: port, owner: ctx.owner, network: ctx.network, image });
    const id = await ctx.engine.create(req);
    const inst = new ContainerInstance(spec, port, id, 0, ctx);
    try {
      await inst.#launch();
    } catch (err) {
      await ctx.engine.remove(id).catch(() => undefined);
      throw err;
    }
    return inst;
  }

  /** Takes over a running container of a previous server; undefined when it is gone or not ours. */
  static async adopt(rec: AdoptRecord, ctx: ContainerContext): Promise<ContainerInstance | undefined> {
    const handle = readContainerHandle(rec.handle);
    if (!handle) return undefined;
    const state = await ctx.engine.inspect(handle.containerId);
    if (!state) return undefined;
    const ours = state.labels[LABELS.owner] === ctx.owner && state.labels[LABELS.instance] === rec.spec.id;
    if (!ours) return undefined;
    if (!state.running) {
      // It exited while no server watched it; the record's owner starts a new instance instead.
      await ctx.engine.remove(state.id);
      return undefined;
    }
    const inst = new ContainerInstance(rec.spec, rec.port, state.id, rec.restarts, ctx);
    const output = await ctx.engine.attach(state.id);
    inst.#watch(output);
    inst.#log.info({ container: short(state.id) }, 'instance adopted');
    return inst;
  }

  private constructor(
    spec: InstanceSpec,
    port: number,
    containerId: string,
    restarts: number,
    ctx: ContainerContext,
  ) {
    this.spec = spec;
    this.port = port;
    this.containerId = containerId;
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

  get handle(): InstanceHandle | null {
    return this.#status === 'stopped' ? null : containerHandle(this.containerId);
  }

  info(): InstanceInfo {
    return {
      id: this.spec.id,
      spec: this.spec,
      status: this.#status,
      handle: this.handle,
      host: PUBLISH_HOST,
      port: this.port,
      restarts: this.#restarts,
      startedAt: this.#startedAt,
      lastExit: this.#lastExit,
    };
  }

  recentLogs(limit?: number): LogLine[] {
    return this.#lines.last(limit);
  }

  /** CPU since the previous call and memory now, from the engine; undefined unless running. */
  async stats(): Promise<InstanceStats | undefined> {
    if (this.#status !== 'running') return undefined;
    const sample = await this.#ctx.engine.stats(this.containerId);
    if (!sample || this.#status !== 'running') return undefined;
    const reading = cpuReading(sample, Number(process.hrtime.bigint()));
    const cpuPercent = cpuPercentBetween(this.#cpu, reading);
    this.#cpu = reading;
    return { cpuPercent, memoryBytes: memoryInUse(sample) };
  }

  /** Stops for good: cancels a pending restart, stops the container (engine stop), then removes it. */
  stop(graceMs: number): Promise<void> {
    if (this.#stopped) return this.#stopped;
    // Detached: the container is left to the server that adopts it; this one no longer owns it.
    if (this.#intent === 'detach') return Promise.resolve();
    this.#intent = 'stop';
    clearTimeout(this.#timer);
    this.#stopped = this.#enqueue(async () => {
      const run = this.#run;
      if (run) {
        this.#status = 'stopping';
        this.#log.info({ container: short(this.containerId), graceMs }, 'stopping instance');
        this.#lastExit = await this.#end(run, graceMs);
      }
      await this.#ctx.engine.remove(this.containerId);
      this.#status = 'stopped';
      this.#log.info({ exit: this.#lastExit }, 'instance stopped');
      this.#ctx.emit({ type: 'stopped', instance: this.info() });
    });
    return this.#stopped;
  }

  /** Stops the container (grace: the spec's stop timeout) and starts it again, counting a restart. */
  restart(reason: string): Promise<void> {
    if (this.#intent !== 'run') {
      this.#log.info({ reason }, 'restart ignored: the instance is stopped');
      return Promise.resolve();
    }
    clearTimeout(this.#timer);
    return this.#enqueue(async () => {
      if (this.#intent !== 'run') return;
      clearTimeout(this.#timer);
      const run = this.#run;
      this.#log.info({ container: short(this.containerId), reason }, 'restarting instance');
      if (run) {
        this.#status = 'stopping';
        const exit = await this.#end(run, this.spec.stopTimeoutMs);
        this.#lastExit = exit;
        this.#ctx.emit({ type: 'exited', instance: this.info(), exit, restartInMs: 0 });
      }
      if (this.#intent !== 'run') return;
      this.#restarts++;
      await this.#launchOrRetry();
    });
  }

  /** Stops supervising and leaves the container running, so a later server can adopt it. */
  detach(): Promise<void> {
    if (this.#intent === 'run') this.#intent = 'detach';
    clearTimeout(this.#timer);
    return this.#enqueue(async () => {
      const run = this.#run;
      if (!run) return;
      run.abort.abort();
      run.output?.close();
      this.#run = undefined;
    });
  }

  /** Attaches to the output (first, so no early line is lost), then starts the container. */
  async #launch(): Promise<void> {
    const output = await this.#ctx.engine.attach(this.containerId);
    try {
      await this.#ctx.engine.start(this.containerId);
    } catch (err) {
      output.close();
      throw err;
    }
    this.#watch(output);
    this.#log.info(
      { container: short(this.containerId), port: this.port, restarts: this.#restarts },
      'instance started',
    );
    this.#ctx.emit({ type: 'started', instance: this.info() });
  }

  async #launchOrRetry(): Promise<void> {
    try {
      await this.#launch();
    } catch (err) {
      this.#log.error({ err: (err as Error).message }, 'could not start instance');
      this.#scheduleRestart({ code: null, signal: null, at: Date.now() });
    }
  }

  #watch(output: OutputStreams): void {
    const abort = new AbortController();
    const run: Run = { exited: this.#waitExit(abort.signal), abort, output, killing: false };
    this.#readLines(output.stdout, 'stdout');
    this.#readLines(output.stderr, 'stderr');
    this.#run = run;
    this.#status = 'running';
    this.#startedAt = Date.now();
    this.#cpu = undefined;
    run.exited.then((exit) => this.#onExit(run, exit));
  }

  /** The container's exit, waited for through the engine; never settles once `signal` aborts. */
  async #waitExit(signal: AbortSignal): Promise<InstanceExit> {
    for (;;) {
      try {
        const code = await this.#ctx.engine.wait(this.containerId, signal);
        return { code, signal: null, at: Date.now() };
      } catch (err) {
        if (signal.aborted) return new Promise<never>(() => {});
        this.#log.warn({ err: (err as Error).message }, 'lost the wait on the container; asking again');
        await new Promise((r) => setTimeout(r, WAIT_RETRY_MS));
        if (signal.aborted) return new Promise<never>(() => {});
      }
    }
  }

  /** Ends a run on purpose: the engine's stop, then its last output. */
  async #end(run: Run, graceMs: number): Promise<InstanceExit> {
    run.killing = true;
    await this.#ctx.engine.stop(this.containerId, graceMs);
    const exit = await run.exited;
    await this.#drain(run);
    this.#run = undefined;
    return exit;
  }

  async #onExit(run: Run, exit: InstanceExit): Promise<void> {
    if (run !== this.#run || run.killing || this.#intent !== 'run') return;
    this.#lastExit = exit;
    this.#status = 'backoff';
    await this.#drain(run);
    this.#run = undefined;
    if (this.#intent !== 'run') return;
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
        if (this.#intent !== 'run' || this.#run) return;
        this.#restarts++;
        await this.#launchOrRetry();
      }).catch((err) => this.#log.error({ err: (err as Error).message }, 'restart failed'));
    }, delay);
  }

  /** Waits (bounded) for the engine to close the output of an exited run, so its last lines are read. */
  async #drain(run: Run): Promise<void> {
    const output = run.output;
    if (!output) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([output.ended, new Promise((r) => (timer = setTimeout(r, OUTPUT_DRAIN_MS)))]);
    clearTimeout(timer);
    output.close();
  }

  #readLines(stream: Readable, name: LogLine['stream']): void {
    const splitter = new LineSplitter();
    const emit = (line: string) => {
      const entry: LogLine = { at: Date.now(), stream: name, line };
      this.#lines.push(entry);
      this.#ctx.emit({ type: 'log', instanceId: this.spec.id, line: entry });
    };
    stream.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) emit(line);
    });
    stream.on('end', () => {
      const rest = splitter.flush();
      if (rest !== undefined) emit(rest);
    });
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}
