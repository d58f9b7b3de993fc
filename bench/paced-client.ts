// Fixed-rate load (wrk2 is not packaged here): requests leave on a 1 ms schedule over a few
// keep-alive connections. Latency is measured with performance.now() from the write to the end of
// the response, so the client's own timer jitter stays out of it; a request that had to wait for a
// free connection is counted in `queued` (with 16 connections at 1,000 req/s there are none).
import { connect, type Socket } from 'node:net';

export interface PacedResult {
  rate: number;
  sent: number;
  completed: number;
  errors: number;
  /** Requests that had to wait for a connection to become free. */
  queued: number;
  p50Ms: number;
  p99Ms: number;
}

interface Conn {
  socket: Socket;
  busy: boolean;
  buf: Buffer;
  sentAt: number;
}

export async function runPaced(
  port: number,
  rate: number,
  seconds: number,
  connections = 16,
): Promise<PacedResult> {
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
  const latencies: number[] = [];
  let errors = 0;
  let queued = 0;
  const conns = await Promise.all(Array.from({ length: connections }, () => open(port)));
  let pending = 0;
  const total = rate * seconds;
  let sent = 0;

  const dispatch = (waited: boolean) => {
    for (const c of conns) {
      if (pending === 0) return;
      if (c.busy) continue;
      c.busy = true;
      pending--;
      if (waited) queued++;
      c.sentAt = performance.now();
      c.socket.write(request);
    }
  };
  for (const c of conns) {
    c.socket.on('data', (chunk: Buffer) => {
      c.buf = c.buf.length ? Buffer.concat([c.buf, chunk]) : chunk;
      const end = responseEnd(c.buf);
      if (end < 0) return;
      const status = Number(c.buf.toString('latin1', 9, 12));
      if (status !== 200) errors++;
      latencies.push(performance.now() - c.sentAt);
      c.buf = c.buf.subarray(end);
      c.busy = false;
      dispatch(true);
    });
    c.socket.on('error', () => errors++);
  }

  const start = performance.now();
  const interval = 1000 / rate;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        pending++;
        sent++;
      }
      dispatch(false);
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const deadline = performance.now() + 5_000;
  while (latencies.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  for (const c of conns) c.socket.destroy();

  latencies.sort((a, b) => a - b);
  const pick = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { rate, sent, completed: latencies.length, errors, queued, p50Ms: pick(0.5), p99Ms: pick(0.99) };
}

function open(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    socket.once('connect', () => resolve({ socket, busy: false, buf: Buffer.alloc(0), sentAt: 0 }));
    socket.once('error', reject);
  });
}

/** Offset just past one complete response with a Content-Length body, or -1 if incomplete. */
function responseEnd(buf: Buffer): number {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return -1;
  const head = buf.toString('latin1', 0, headEnd);
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const length = m ? Number(m[1]) : 0;
  const end = headEnd + 4 + length;
  return buf.length >= end ? end : -1;
}
