// Benchmark proxy: Gantry's data plane in its own process, routing one environment to the upstream
// given as argv[2]. Prints its port as JSON; with --cpu-prof the run leaves a profile behind.
import { createMemorySink } from '../src/metrics/memory-sink.ts';
import { createDataPlane } from '../src/proxy/index.ts';

const upstreamUrl = process.argv[2];
if (!upstreamUrl) {
  process.stderr.write('usage: node bench/proxy-child.ts http://127.0.0.1:PORT\n');
  process.exit(2);
}
const sink = createMemorySink({ capacity: 100_000 });
const plane = createDataPlane({ sink });
await plane.apply({
  environments: [
    {
      environment: 'bench',
      listen: '127.0.0.1:0',
      pools: [{ version: 'v1', weight: 100, backends: [{ id: 'bench-1', version: 'v1', url: upstreamUrl }] }],
    },
  ],
});
process.stdout.write(`${JSON.stringify({ port: (await plane.addresses()).get('bench')?.port ?? 0 })}\n`);
process.on('SIGTERM', () => {
  plane.close().finally(() => process.exit(0));
});
