// Let's Encrypt's test ACME server, Debian's `pebble`, on loopback for the automatic-HTTPS tests:
// `pebble-challtestsrv` answers its DNS queries (every name is 127.0.0.1), and pebble validates
// HTTP-01 challenges on `httpPort` of 127.0.0.1, the port the test's plain listener answers on.
// Pebble's own HTTPS certificate is made here with openssl and handed to the ACME client only.
// Both processes are stopped by PID. Locally a missing pebble skips; under CI=true it fails.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import path from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { promisify } from 'node:util';
import { freePort } from './gantry.ts';
import { hasExecutable, type PeerProcess, requirePeer, startPeer } from './peers.ts';

const run = promisify(execFile);

const PEBBLE = '/usr/bin/pebble';
const CHALLTESTSRV = '/usr/bin/pebble-challtestsrv';
const OPENSSL = '/usr/bin/openssl';

/** 'run' when pebble, pebble-challtestsrv and openssl are installed; else 'skip' (or throws under CI=true). */
export function requirePebble(): 'run' | 'skip' {
  const missing = [PEBBLE, CHALLTESTSRV, OPENSSL].filter((f) => !hasExecutable(f));
  return requirePeer(
    'pebble',
    missing.length === 0,
    `${missing.join(', ')} not installed (apt-get install pebble)`,
  );
}

export interface PebbleOptions {
  /** A directory of the test's own (pebble's files go there). */
  dir: string;
  /** Where pebble connects for HTTP-01 challenges (on 127.0.0.1). */
  httpPort: number;
  /** Lifetime of the certificates pebble issues, in seconds (pebble's default: 5 years). */
  validitySeconds?: number;
}

export interface PebblePeer {
  directoryUrl: string;
  /** PEM of pebble's own HTTPS certificate: trust it for the directory only. */
  directoryCa: string;
  /** PEM of the root that signs the issued certificates (to verify a served chain against). */
  issuerRoot(): Promise<string>;
  stop(): Promise<void>;
}

export async function startPebble(opts: PebbleOptions): Promise<PebblePeer> {
  const certFile = path.join(opts.dir, 'pebble-cert.pem');
  const keyFile = path.join(opts.dir, 'pebble-key.pem');
  await run(OPENSSL, [
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
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  const [dnsPort, dnsManagement, acmePort, managementPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const dns = startPeer(
    [
      CHALLTESTSRV,
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-management',
      `127.0.0.1:${dnsManagement}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ],
    { env: { PATH: process.env.PATH } },
  );
  const configFile = path.join(opts.dir, 'pebble-config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: certFile,
        privateKey: keyFile,
        httpPort: opts.httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(opts.validitySeconds !== undefined ? { certificateValidityPeriod: opts.validitySeconds } : {}),
      },
    }),
  );
  const pebble = startPeer([PEBBLE, '-config', configFile, '-dnsserver', `127.0.0.1:${dnsPort}`], {
    env: {
      PATH: process.env.PATH,
      // No random sleeps before validation, no nonces refused on purpose, no authorization reused
      // from an earlier order (each order has to answer its challenge).
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: '0',
      PEBBLE_AUTHZREUSE: '0',
    },
  });
  const directoryCa = await readFile(certFile, 'utf8');
  const agent = new Agent({ ca: directoryCa });
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  await pebble.waitFor('pebble to answer its directory', async () =>
    (await getText(directoryUrl, agent).catch(() => undefined)) ? true : undefined,
  );
  return {
    directoryUrl,
    directoryCa,
    issuerRoot: () => getText(`https://127.0.0.1:${managementPort}/roots/0`, agent),
    async stop() {
      agent.destroy();
      await Promise.all([stopPeer(pebble), stopPeer(dns)]);
    },
  };
}

async function stopPeer(peer: PeerProcess): Promise<void> {
  peer.signal('SIGTERM');
  await peer.waitForExit();
}

function getText(url: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`)),
      );
    })
      .on('error', reject)
      .end();
  });
}

export interface Handshake {
  authorized: boolean;
  error: string | undefined;
  cert: PeerCertificate;
}

/** A TLS handshake with 127.0.0.1:`port` naming `servername`, verified against `ca` only. */
export function handshake(port: number, servername: string, ca: string): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const result = {
        authorized: socket.authorized,
        error: socket.authorizationError?.toString(),
        cert: socket.getPeerCertificate(),
      };
      socket.end();
      resolve(result);
    });
    socket.on('error', reject);
  });
}
