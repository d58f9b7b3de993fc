// A FIFO lock for the one SQLite connection: a transaction holds it from BEGIN to COMMIT, so no
// other query can slip into the middle of it.

export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves once the lock is held; call the returned function exactly once to release it. */
  async lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  }
}

const fileMutexes = new Map<string, { mutex: Mutex; users: number }>();

/**
 * The mutex of a database file, shared by every connection this process opens on it. SQLite's
 * busy wait is synchronous: a second connection waiting for the write lock would block the event
 * loop that the first one needs to finish its transaction, so both would stall until the timeout.
 */
export function useFileMutex(key: string): { mutex: Mutex; dispose: () => void } {
  const entry = fileMutexes.get(key) ?? { mutex: new Mutex(), users: 0 };
  entry.users += 1;
  fileMutexes.set(key, entry);
  let disposed = false;
  return {
    mutex: entry.mutex,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      entry.users -= 1;
      if (entry.users === 0 && fileMutexes.get(key) === entry) fileMutexes.delete(key);
    },
  };
}
