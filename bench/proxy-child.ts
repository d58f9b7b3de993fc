// Benchmark proxy: Gantry's data plane in its own process, routing to the upstream given as
// argv[2]. With `--hosts N`, N environments share the listener, each naming one host
// (h0.bench.test …, see benchHost), all routed to that upstream: the load then names one of them
// by Host. Prints its port as JSON; with --cpu-prof the run leaves a profile behind.
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { createMemorySink } from '../src/metrics/memory-sink.ts';
import { createDataPlane } from '../src/proxy/index.ts';
import type { EnvironmentRoute } from '../src/proxy/types.ts';
import { benchHost } from './load.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { hosts: { type: 'string', default: '0' } },
});
const upstreamUrl = positionals[0];
const hosts = Number(values.hosts);
if (!upstreamUrl || !Number.isInteger(hosts) || hosts < 0) {
  process.stderr.write('usage: node bench/proxy-child.ts http://127.0.0.1:PORT [--hosts N]\n');
  process.exit(2);
}
const sink = createMemorySink({ capacity: 100_000 });
const plane = createDataPlane({ sink });
const routeTo = (environment: string, listen: string, extra: Partial<EnvironmentRoute> = {}) => ({
  environment,
  listen,
  pools: [
    { version: 'v1', weight: 100, backends: [{ id: `${environment}-1`, version: 'v1', url: upstreamUrl }] },
  ],
  ...extra,
});
if (hosts === 0) {
  await plane.apply({ environments: [routeTo('bench', '127.0.0.1:0')] });
} else {
  // Routes share an address only on a fixed port: take a free one.
  const listen = `127.0.0.1:${await freePort()}`;
  const environments = Array.from({ length: hosts }, (_, i) =>
    routeTo(`h${i}`, listen, { hosts: [benchHost(i)] }),
  );
  await plane.apply({ environments });
}
const [address] = (await plane.addresses()).values();
process.stdout.write(`${JSON.stringify({ port: address?.port ?? 0 })}\n`);
process.on('SIGTERM', () => {
  plane.close().finally(() => process.exit(0));
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
