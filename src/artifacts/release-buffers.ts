// Gives the buffers of a large upload back while it runs. Every chunk of an upload (the socket's
// reads, the gunzip's output, the file reads of the unpacking pass) is a fresh buffer outside V8's
// heap, and V8 only collects such buffers once 64 MB more of them are outstanding than after its
// last full collection: each upload left the server that much larger (RSS 161 -> 227 MB after 20
// uploads of 50 MB; the allocator keeps what it once handed out). Collecting every
// RELEASE_EVERY_BYTES keeps the dead buffers, and so the growth, under that amount, for about 5 ms
// of collection per step with Gantry's small heap.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Upload bytes handled between two collections. */
export const RELEASE_EVERY_BYTES = 8 * 1024 * 1024;

type Collect = (opts?: { type?: 'major' | 'minor' }) => void;
let collect: Collect | undefined;

function collector(): Collect {
  if (collect) return collect;
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (exposed) collect = exposed;
  else {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  }
  return collect;
}

/** Counts bytes handled; collects garbage each time another RELEASE_EVERY_BYTES have passed. */
export class BufferRelease {
  #since = 0;

  add(bytes: number): void {
    this.#since += bytes;
    if (this.#since < RELEASE_EVERY_BYTES) return;
    this.#since = 0;
    // A minor collection (young generation only): the upload's buffers die young, and it takes
    // about a millisecond whatever the size of the rest of the heap.
    collector()({ type: 'minor' });
  }
}
