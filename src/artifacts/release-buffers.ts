// Gives the buffers of a large upload back while it runs. Every chunk of an upload (the socket's
// reads, the gunzip's output, the file reads of the unpacking pass) is a fresh buffer outside V8's
// heap, and V8 only collects such buffers once 64 MB more of them are outstanding than after its
// last full collection: each upload left the server that much larger (RSS 161 -> 229 MB after 20
// uploads of 50 MB; the allocator keeps what it once handed out). A minor collection (young
// generation only, about a millisecond whatever the rest of the heap) every RELEASE_EVERY_BYTES
// frees the buffers that died young; one full collection when an upload ends frees those that were
// still in flight at a minor one, so nothing accumulates from one upload to the next.
// A minor collection takes well under a millisecond, so they run every megabyte: every 8 MB left
// 14 to 28 MB behind after a few uploads. A full collection every 8 MB left 3 MB, but takes 40 to
// 140 ms with a 60 MB heap, pausing the proxy that runs in the same process.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Upload bytes handled between two minor collections. */
export const RELEASE_EVERY_BYTES = 1024 * 1024;

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
  #total = 0;

  add(bytes: number): void {
    this.#since += bytes;
    this.#total += bytes;
    if (this.#since < RELEASE_EVERY_BYTES) return;
    this.#since = 0;
    collector()({ type: 'minor' });
  }

  /** Once the upload is over: a full collection, if it was large enough to have needed minor ones. */
  finish(): void {
    if (this.#total >= RELEASE_EVERY_BYTES) collector()({ type: 'major' });
  }
}
