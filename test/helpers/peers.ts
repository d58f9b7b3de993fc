// Real peers (gunicorn, PostgreSQL, Prometheus, chromium, podman…) that integration tests need:
// whether one is there, and running it as a child process that a test can wait on and stop.
// Locally a missing peer skips its tests with a stated reason; in CI (CI=true) it is a failure,
// so a broken install step can never turn into a green run that tested nothing.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Readable } from 'node:stream';

export type PeerMode = 'run' | 'skip';

export class MissingPeerError extends Error {
  constructor(name: string, reason: string) {
    super(`peer "${name}" is missing (${reason}) and CI=true requires it; install it in .ci/run`);
    this.name = 'MissingPeerError';
  }
}

export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true';
}

/**
 * Decides whether tests that need a peer run. Use with `it.skipIf(requirePeer(…) === 'skip')` or
 * `describe.skipIf(…)`. When the peer is missing: prints why and returns 'skip', or throws
 * MissingPeerError under CI=true (the test file then fails with that message).
 */
export function requirePeer(
  name: string,
  available: boolean,
  reason = 'not found',
  env: NodeJS.ProcessEnv = process.env,
): PeerMode {
  if (available) return 'run';
  if (isCi(env)) throw new MissingPeerError(name, reason);
  console.warn(`skipping tests that need ${name}: ${reason}`);
  return 'skip';
}

/** True when `file` exists and is executable. */
export function hasExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when `python` (an absolute path) can import every module. */
export function canImportPython(python: string, modules: string[]): boolean {
  if (!hasExecutable(python)) return false;
  const result = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], {
    stdio: 'ignore',
    timeout: 30_000,
  });
  return result.status === 0;
}

export interface PeerExit {
  code: number | null;
  signal: string | null;
}

const DEFAULT_WAIT_MS = 30_000;
const running = new Set<PeerProcess>();

/**
 * A peer run as a child process in its own process group, its output kept as lines. Every wait is
 * bounded and, when it fails, the error carries the peer's output.
 */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  exit: PeerExit | undefined;
  readonly exited: Promise<PeerExit>;

  constructor(argv: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv }) {
    const [file, ...args] = argv;
    if (!file) throw new Error('PeerProcess needs a command');
    this.child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collectLines(this.child.stdout, this.stdout);
    collectLines(this.child.stderr, this.stderr);
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': all output has been read by then.
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
    });
  }

  /** Sends a signal to the peer's whole process group. */
  signal(sig: NodeJS.Signals): void {
    if (this.exit || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      // Already gone.
    }
  }

  /** Polls `check` until it returns a value; fails when the peer exits first or time runs out. */
  async waitFor<T>(
    what: string,
    check: () => T | undefined | Promise<T | undefined>,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (this.exit)
        throw new Error(`peer exited (${JSON.stringify(this.exit)}) before ${what}${this.#output()}`);
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${this.#output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async waitForExit(timeoutMs = DEFAULT_WAIT_MS): Promise<PeerExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`timed out after ${timeoutMs} ms waiting for the peer to exit${this.#output()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #output(): string {
    return `\nstdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderr.join('\n')}`;
  }
}

/** Starts a peer that `stopPeers` will kill if the test leaves it running. */
export function startPeer(argv: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv }): PeerProcess {
  const peer = new PeerProcess(argv, opts);
  running.add(peer);
  return peer;
}

/** Kills every peer still running (call from afterEach). */
export async function stopPeers(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
  const left = [...running];
  for (const peer of left) peer.signal('SIGKILL');
  await Promise.all(left.map((peer) => peer.waitForExit(timeoutMs)));
}

function collectLines(stream: Readable | null, into: string[]): void {
  let rest = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    into.push(...parts);
  });
  stream?.on('end', () => {
    if (rest !== '') into.push(rest);
  });
}
