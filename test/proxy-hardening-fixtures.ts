// Shared pieces of the proxy hardening tests: self-signed certificates made by openssl in a temp
// dir, an HTTPS client that reports which certificate the server presented, a log collector.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Logger } from '../src/lib/log.ts';

const run = promisify(execFile);

export interface TestCert {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-proxy-tls-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes a self-signed P-256 certificate (valid 2 days) and its key to `<base>.crt` and
 * `<base>.key`, with `altNames` as subject alternative names (`DNS:name`, `IP:address`).
 */
export async function writeSelfSignedCert(
  base: string,
  cn: string,
  altNames: string[],
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = `${base}.crt`;
  const keyFile = `${base}.key`;
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${altNames.join(',')}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { timeout: 30_000 },
  );
  return { certFile, keyFile };
}

/** A fresh self-signed P-256 certificate for localhost/127.0.0.1, as PEM buffers (no files). */
export async function makeCert(dir: string, cn: string): Promise<{ cert: Buffer; key: Buffer }> {
  const { certFile, keyFile } = await writeSelfSignedCert(
    path.join(dir, `${cn}-${process.hrtime.bigint()}`),
    cn,
    ['DNS:localhost', 'IP:127.0.0.1'],
  );
  const pair = { cert: await readFile(certFile), key: await readFile(keyFile) };
  await rm(certFile);
  await rm(keyFile);
  return pair;
}

/** Writes a pair as cert.pem/key.pem in `dir` the way renewals do: each file replaced by rename. */
export async function installCert(dir: string, pair: { cert: Buffer; key: Buffer }): Promise<TestCert> {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await writeFile(`${keyFile}.tmp`, pair.key, { mode: 0o600 });
  await rename(`${keyFile}.tmp`, keyFile);
  await writeFile(`${certFile}.tmp`, pair.cert);
  await rename(`${certFile}.tmp`, certFile);
  return { certFile, keyFile, ...pair };
}

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  localPort: number;
  /** SHA-256 fingerprint of the certificate the server presented on this connection. */
  fingerprint: string;
}

/** One HTTPS request to 127.0.0.1:port trusting `ca` (a GET by default); rejects on errors or after timeoutMs. */
export function httpsSend(
  port: number,
  opts: {
    ca: Buffer | Buffer[];
    method?: string;
    path?: string;
    body?: Buffer;
    agent?: HttpsAgent;
    timeoutMs?: number;
  },
): Promise<HttpsResponse> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        servername: 'localhost',
        ca: opts.ca,
        agent: opts.agent ?? false,
        timeout: timeoutMs,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            localPort: socket.localPort ?? 0,
            fingerprint,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`HTTPS request timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A pino logger whose lines are kept in memory, for asserting on what was logged. */
export function collectingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, dest), lines };
}
