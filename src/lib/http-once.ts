// One HTTP request on a connection of its own (no keep-alive: nothing another request left behind
// is reused), through node:http, reading at most `maxBodyBytes` of the answer. For the control
// plane's probes and checks, which run all day: undici, the proxy's client, stays out of an idle
// server that does not proxy in its own process.
import http from 'node:http';
import https from 'node:https';

export interface OnceReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The start of the body, up to maxBodyBytes, as UTF-8. */
  body: string;
}

export interface OnceOptions {
  method: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  maxBodyBytes: number;
  /** HTTPS only: check the server's certificate (default true). */
  verifyTls?: boolean;
}

/** Rejects on a network failure or abort, with Node's error (its `code`: ECONNREFUSED…). */
export function requestOnce(url: string, opts: OnceOptions): Promise<OnceReply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: opts.method,
        headers: opts.headers,
        agent: false,
        signal: opts.signal,
        ...(target.protocol === 'https:' ? { rejectUnauthorized: opts.verifyTls ?? true } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let finished = false;
        const done = () => {
          if (finished) return;
          finished = true;
          res.destroy();
          const body = Buffer.concat(chunks).subarray(0, opts.maxBodyBytes).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= opts.maxBodyBytes) done();
        });
        res.once('end', done);
        // Listeners stay for any later error too (a settled promise ignores it): an 'error' with
        // no listener would end the process.
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
