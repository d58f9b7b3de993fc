// A fixed-capacity FIFO that overwrites its oldest entry, for the recent output of an instance.

export class RingBuffer<T> {
  readonly capacity: number;
  #items: (T | undefined)[];
  #start = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#items = new Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    const end = (this.#start + this.#size) % this.capacity;
    this.#items[end] = item;
    if (this.#size < this.capacity) this.#size++;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** The newest `limit` entries (all when absent), oldest first. */
  last(limit?: number): T[] {
    const n = limit === undefined ? this.#size : Math.max(0, Math.min(Math.floor(limit), this.#size));
    const out: T[] = [];
    for (let i = this.#size - n; i < this.#size; i++) {
      out.push(this.#items[(this.#start + i) % this.capacity] as T);
    }
    return out;
  }

  clear(): void {
    this.#items = new Array(this.capacity);
    this.#start = 0;
    this.#size = 0;
  }
}
