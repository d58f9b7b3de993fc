// Raw HTTP/1.1 over a loopback socket, for requests no HTTP client library would send (two Host
// headers, pipelined requests behind an Upgrade…): the exact bytes go out, everything that comes
// back until the server closes the connection is returned.
import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent, decoded as latin1. */
  text: string;
  /** Status codes of the responses found at the start of `text` and after each blank line. */
  statuses: number[];
}

/**
 * Writes `bytes` to 127.0.0.1:port and collects the answer until the server closes the connection;
 * rejects after timeoutMs (a server that neither answers nor closes is the bug these tests hunt).
 */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 10_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(text())}`));
    }, timeoutMs);
    const text = () => Buffer.concat(chunks).toString('latin1');
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const t = text();
      resolve({
        text: t,
        statuses: [...t.matchAll(/(?:^|\r\n)HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])),
      });
    });
  });
}

/** The body of the first response of `text` (after its blank line). */
export function firstBody(text: string): string {
  const i = text.indexOf('\r\n\r\n');
  return i < 0 ? '' : text.slice(i + 4);
}

/** Runs `task` for 0..count-1 with at most `concurrency` at once, in order of index. */
export async function inBatches(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
