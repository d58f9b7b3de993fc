// In-process fan-out of release events to live listeners (SSE, `--wait`), after they are stored.
import type { ReleaseEventRecord, ReleaseRecord } from '../store/types.ts';

export type ReleaseListener = (e: { event?: ReleaseEventRecord; release?: ReleaseRecord }) => void;

export class ReleaseEventBus {
  #listeners = new Map<string, Set<ReleaseListener>>();
  #all = new Set<ReleaseListener>();

  subscribe(releaseId: string | '*', fn: ReleaseListener): () => void {
    if (releaseId === '*') {
      this.#all.add(fn);
      return () => this.#all.delete(fn);
    }
    let set = this.#listeners.get(releaseId);
    if (!set) {
      set = new Set();
      this.#listeners.set(releaseId, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.#listeners.delete(releaseId);
    };
  }

  publish(releaseId: string, e: { event?: ReleaseEventRecord; release?: ReleaseRecord }): void {
    for (const fn of this.#listeners.get(releaseId) ?? []) fn(e);
    for (const fn of this.#all) fn(e);
  }
}
