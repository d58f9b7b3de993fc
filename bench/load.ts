// Closed-loop load (as many requests as 50 connections can carry): wrk when installed, autocannon
// otherwise. Both run outside the measured processes (wrk is its own process; autocannon runs in
// the orchestrator, which does nothing else meanwhile).
import { execFile, execFileSync } from 'node:child_process';
import autocannon from 'autocannon';

export interface LoadResult {
  tool: 'wrk' | 'autocannon';
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export const CONNECTIONS = 50;

/** The host name of the i-th environment of the host-routing benchmark (bench/proxy-child.ts). */
export function benchHost(i: number): string {
  return `h${i}.bench.test`;
}

export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** `host`: the Host header to send instead of the URL's. */
export async function runLoad(
  url: string,
  seconds: number,
  useWrk: boolean,
  host?: string,
): Promise<LoadResult> {
  return useWrk ? runWrk(url, seconds, host) : runAutocannon(url, seconds, host);
}

function runWrk(url: string, seconds: number, host: string | undefined): Promise<LoadResult> {
  const hostHeader = host === undefined ? [] : ['-H', `Host: ${host}`];
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...hostHeader, url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (seconds + 20) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk failed: ${err.message}`));
      resolve(parseWrk(stdout));
    });
  });
}

export function parseWrk(out: string): LoadResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps) throw new Error(`could not read wrk's output:\n${out}`);
  const errors = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrorCount = socketErrors ? socketErrors.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
  return {
    tool: 'wrk',
    requestsPerSec: Number(rps[1]),
    p50Ms: wrkPercentile(out, '50%'),
    p99Ms: wrkPercentile(out, '99%'),
    errors: (errors ? Number(errors[1]) : 0) + socketErrorCount,
  };
}

function wrkPercentile(out: string, label: string): number {
  const m = new RegExp(`^\\s+${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

async function runAutocannon(url: string, seconds: number, host: string | undefined): Promise<LoadResult> {
  const headers = host === undefined ? undefined : { host };
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  return {
    tool: 'autocannon',
    requestsPerSec: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
}
