// The calls the docker runtime makes to a Docker Engine API (Docker, or Podman's compatible
// service), through dockerode. Each failure names what was asked and carries the engine's own
// message; the request bodies come from requests.ts.
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { requireOnUse } from '../../lib/require-on-use.ts';
import type { EngineAddress, RegistryCredential } from './options.ts';
import type { CreateRequest } from './requests.ts';
import { LABELS } from './requests.ts';
import type { EngineStats } from './stats.ts';

export interface ContainerState {
  id: string;
  running: boolean;
  exitCode: number | null;
  labels: Record<string, string>;
}

export interface OwnedContainer {
  id: string;
  instanceId: string;
  running: boolean;
}

/** The container's output, split from the engine's multiplexed stream. */
export interface OutputStreams {
  stdout: Readable;
  stderr: Readable;
  /** Resolves once the engine closed the stream (the container stopped, or `close` was called). */
  ended: Promise<void>;
  close(): void;
}

export class EngineError extends Error {
  readonly statusCode: number | undefined;
  /** The call that failed, when it matters to the caller (a create of a missing image answers 404). */
  readonly step: 'create' | undefined;
  constructor(message: string, statusCode?: number, step?: 'create') {
    super(message);
    this.name = 'EngineError';
    this.statusCode = statusCode;
    this.step = step;
  }
}

export class Engine {
  readonly #docker: Docker;
  readonly #where: string;

  constructor(address: EngineAddress, where: string) {
    this.#docker = new (requireOnUse<typeof Docker>('dockerode'))(address);
    this.#where = where;
  }

  /** Pulls `image`; rejects with the engine's message (not found, unauthorised, unreachable…). */
  async pull(image: string, auth: RegistryCredential | undefined): Promise<void> {
    const opts = auth
      ? { authconfig: { username: auth.username, password: auth.password, serveraddress: auth.host } }
      : {};
    try {
      const stream = (await this.#docker.pull(image, opts)) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) => {
        this.#docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (event: { error?: string; errorDetail?: { message?: string } }) => {
            // Podman reports a failed pull as an event in a 200 stream.
            if (event.error) reject(new Error(event.errorDetail?.message ?? event.error));
          },
        );
      });
    } catch (err) {
      throw this.#fail(`cannot pull image ${image}`, err);
    }
  }

  /** The image's RepoDigests, or undefined when the engine does not have it. */
  async imageDigests(image: string): Promise<string[] | undefined> {
    try {
      const info = await this.#docker.getImage(image).inspect();
      return info.RepoDigests ?? [];
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.#fail(`cannot inspect image ${image}`, err);
    }
  }

  async create(req: CreateRequest): Promise<string> {
    try {
      const c = await this.#docker.createContainer(req);
      return c.id;
    } catch (err) {
      const e = this.#fail(`cannot create container ${req.name} from ${req.Image}`, err);
      throw new EngineError(e.message, e.statusCode, 'create');
    }
  }

  /** Attaches to stdout and stderr (before start, so no early line is lost). */
  async attach(id: string): Promise<OutputStreams> {
    const controller = new AbortController();
    let raw: NodeJS.ReadWriteStream;
    try {
      raw = (await this.#docker.getContainer(id).attach({
        stream: true,
        stdout: true,
        stderr: true,
        abortSignal: controller.signal,
      } as Docker.ContainerAttachOptions)) as NodeJS.ReadWriteStream;
    } catch (err) {
      throw this.#fail(`cannot attach to container ${short(id)}`, err);
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.#docker.modem.demuxStream(raw, stdout, stderr);
    const ended = new Promise<void>((resolve) => {
      const done = () => {
        stdout.end();
        stderr.end();
        resolve();
      };
      raw.once('end', done);
      raw.once('close', done);
      raw.once('error', done);
    });
    return { stdout, stderr, ended, close: () => controller.abort() };
  }

  async start(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).start();
    } catch (err) {
      if (statusOf(err) === 304) return; // already running
      throw this.#fail(`cannot start container ${short(id)}`, err);
    }
  }

  /** Resolves with the exit code when the container stops; `signal` abandons the wait. */
  async wait(id: string, signal: AbortSignal): Promise<number | null> {
    const res = (await this.#docker.getContainer(id).wait({ abortSignal: signal } as object)) as {
      StatusCode?: number;
    };
    return typeof res.StatusCode === 'number' ? res.StatusCode : null;
  }

  /** The engine's stop: its stop signal, then SIGKILL after `graceMs` (rounded up to seconds). */
  async stop(id: string, graceMs: number): Promise<void> {
    try {
      await this.#docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) });
    } catch (err) {
      const status = statusOf(err);
      if (status === 304 || status === 404) return; // already stopped, or gone
      throw this.#fail(`cannot stop container ${short(id)}`, err);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw this.#fail(`cannot remove container ${short(id)}`, err);
    }
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    try {
      const info = await this.#docker.getContainer(id).inspect();
      return {
        id: info.Id,
        running: info.State.Running === true,
        exitCode: info.State.Running ? null : info.State.ExitCode,
        labels: info.Config.Labels ?? {},
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.#fail(`cannot inspect container ${short(id)}`, err);
    }
  }

  /** Containers (running or not) labelled with this owner marker. */
  async listOwned(owner: string): Promise<OwnedContainer[]> {
    try {
      const list = await this.#docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.owner}=${owner}`] },
      });
      return list
        .filter((c) => c.Labels?.[LABELS.owner] === owner && c.Labels?.[LABELS.instance])
        .map((c) => ({
          id: c.Id,
          instanceId: c.Labels[LABELS.instance] as string,
          running: c.State === 'running',
        }));
    } catch (err) {
      throw this.#fail('cannot list containers', err);
    }
  }

  /** One stats sample, or undefined when the container is not there. */
  async stats(id: string): Promise<EngineStats | undefined> {
    try {
      return (await this.#docker
        .getContainer(id)
        .stats({ stream: false, 'one-shot': true } as { stream: false })) as EngineStats;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 409) return undefined;
      throw this.#fail(`cannot read the stats of container ${short(id)}`, err);
    }
  }

  #fail(what: string, err: unknown): EngineError {
    const e = err as { message?: string; json?: { message?: string } | null; statusCode?: number };
    const detail = (e.json?.message ?? e.message ?? String(err)).trim();
    const unreachable = /ENOENT|ECONNREFUSED|EACCES/.test(detail)
      ? ` (is the engine running at ${this.#where}? set runtime.docker.host)`
      : '';
    return new EngineError(`${what}: ${detail}${unreachable}`, e.statusCode);
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

export function short(id: string): string {
  return id.slice(0, 12);
}
