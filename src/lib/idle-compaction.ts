// Giving memory back once a process goes quiet. Under load V8 grows the young generation (up to its
// --max-semi-space-size) and keeps the pages its old generation freed for later; its own memory
// reducer does not shrink either back while timers keep the process half awake. A "last resort"
// collection (the one V8 runs before it gives up on an allocation) compacts the heap, shrinks the
// young generation to its minimum and returns free pages to the system: an idle data plane that
// served a burst of requests drops by ~15 MB (npm run bench:memory). It pauses the thread for a
// few milliseconds to a few tens, so it runs only when the process has been quiet for `quietMs`
// after some activity (and once after start, when the garbage of loading the code is gone).
import v8 from 'node:v8';
import vm from 'node:vm';

type LastResortGc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let gcFunction: LastResortGc | null | undefined;

/** V8's gc(), exposed at run time (no --expose-gc on the command line); null where it cannot be. */
function lastResortGc(): LastResortGc | null {
  if (gcFunction === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFunction = vm.runInNewContext('gc') as LastResortGc;
    } catch {
      gcFunction = null;
    }
  }
  return gcFunction;
}

export interface IdleCompactionOptions {
  /** A count that grows with the process's work (requests proxied, records received). */
  progress: () => number;
  /** How long the count must stay still before the collection runs. */
  quietMs?: number;
  /** How often the count is looked at. */
  checkMs?: number;
}

export class IdleCompaction {
  readonly #progress: () => number;
  readonly #quietMs: number;
  readonly #timer: NodeJS.Timeout;
  #seen: number;
  #quietSince = Date.now();
  #pending = true; // loading the code left garbage behind
  #runs = 0;

  constructor(opts: IdleCompactionOptions) {
    this.#progress = opts.progress;
    this.#quietMs = opts.quietMs ?? 10_000;
    this.#seen = opts.progress();
    this.#timer = setInterval(() => this.check(), opts.checkMs ?? 2_000);
    this.#timer.unref();
  }

  /** How many collections ran. */
  get runs(): number {
    return this.#runs;
  }

  /** Looks at the count; runs the collection when it has been still for long enough. */
  check(now = Date.now()): void {
    const progress = this.#progress();
    if (progress !== this.#seen) {
      this.#seen = progress;
      this.#quietSince = now;
      this.#pending = true;
      return;
    }
    if (!this.#pending || now - this.#quietSince < this.#quietMs) return;
    this.#pending = false;
    const gc = lastResortGc();
    if (!gc) return;
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    this.#runs++;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
