// Time from the moment an alarm's rule is met (the end of the breaching period, as the alarm's
// transition records it) to a real webhook receiver holding the notification, over many
// firings. Gantry runs as its own process with the hello service under a steady load; the
// service is switched between failing and healthy on cue.
//   npm run bench:alerting [-- --firings 10 --rate 50]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { AlarmTransition } from '../src/alarms/types.ts';
import type { StatusBody } from '../src/api/types.ts';
import {
  ApiClient,
  ChildServer,
  helloBuild,
  sleep,
  startPacedLoad,
  tempDir,
  waitFor,
  writeHelloConfig,
} from '../test/helpers/gantry.ts';

const { values } = parseArgs({
  options: {
    firings: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
});
const firings = Number(values.firings);
const rate = Number(values.rate);

const hooks: Array<{ at: number; status: string }> = [];
const receiver = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => {
    raw += c;
  });
  req.on('end', () => {
    const body = JSON.parse(raw) as { status: string };
    hooks.push({ at: Date.now(), status: body.status });
    res.writeHead(200).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const hookPort = (receiver.address() as AddressInfo).port;

const tmp = await tempDir('gantry-bench-alerting-');
const cfg = await writeHelloConfig(tmp.dir, {
  extra: `alarms:
  - { name: outage, environment: production, metric: http_5xx_rate, above: 50%, period: 1s, severity: P3, notify: [hook] }
notify:
  hook: [{ type: webhook, url: "http://127.0.0.1:${hookPort}/" }]
`,
});
const server = new ChildServer({ config: cfg.file, dataDir: `${tmp.dir}/data` });
const api = new ApiClient(await server.start());
await api.upload('v1', await helloBuild(tmp.dir, 'v1'));
await api.waitRelease((await api.deploy('staging', 'v1')).id);
await api.waitRelease((await api.deploy('production', 'v1')).id);
const load = startPacedLoad(cfg.ports.production, rate);

async function outage(on: boolean): Promise<void> {
  const s = (await api.call<StatusBody>('GET', '/api/v1/status')).body;
  const prod = s.environments.find((e) => e.name === 'production');
  for (const i of prod?.instances ?? []) {
    await fetch(`http://127.0.0.1:${i.port}/admin/errors?rate=${on ? '1' : ''}`, { method: 'POST' });
  }
}

const delays: number[] = [];
try {
  await sleep(2000);
  for (let n = 0; n < firings; n++) {
    const seen = hooks.length;
    await outage(true);
    const hook = await waitFor(
      'firing webhook',
      async () => hooks.slice(seen).find((h) => h.status === 'firing'),
      30_000,
    );
    const history = await api.call<{ transitions: AlarmTransition[] }>(
      'GET',
      '/api/v1/alarms/outage/history?limit=5',
    );
    const t = history.body.transitions.find((x) => x.to === 'ALARM');
    if (t) delays.push(hook.at - Date.parse(t.at));
    await outage(false);
    await waitFor(
      'resolved webhook',
      async () => hooks.slice(seen).find((h) => h.status === 'resolved'),
      30_000,
    );
    await sleep(500);
  }
} finally {
  await load.stop();
  await server.stop();
  await tmp.cleanup();
  receiver.close();
}

delays.sort((a, b) => a - b);
const pick = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? Number.NaN;
const result = {
  firings: delays.length,
  p50Ms: pick(0.5),
  p99Ms: pick(0.99),
  maxMs: delays.at(-1) ?? Number.NaN,
};
if (values.json) {
  process.stdout.write(`${JSON.stringify({ ...result, delays })}\n`);
} else {
  console.log(
    `Alarm rule met (end of the breaching 1 s period) → webhook received, ${result.firings} firings at ${rate} req/s`,
  );
  console.log(
    `p50 ${result.p50Ms} ms   p99 ${result.p99Ms} ms   max ${result.maxMs} ms   budget <= 1000 ms   ${result.p99Ms <= 1000 ? 'PASS' : 'FAIL'}`,
  );
}
