// Secret-leak hunt with awkward values, against a real server (child process, debug log level):
// a multi-line key (an instance's output is stored line by line), a value with quotes,
// backslashes, non-ASCII and `&<>` that JSON loggers of other languages escape their own way
// (Python and PHP write \u00e9, Go writes \u0026, .NET both in upper case), and a secret that is
// part of another. No piece of any of them may show in the logs, release events or server output.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ChildServer, tempDir, waitFor, writeHelloConfig } from './helpers/gantry.ts';

const hex = (n: number) => randomBytes(n).toString('hex');
const b64 = (n: number) => randomBytes(n).toString('base64');
const PEM_LINES = [b64(48), b64(48), b64(20)];
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_LINES.join('\n')}\n-----END PRIVATE KEY-----\n`;
const ODD_RANDOM = hex(8);
const ODD = `pä"ss\\wörd-${ODD_RANDOM}&a<b>'+ü`;
const INNER = `inner-${hex(8)}`;
const OUTER = `outer-${INNER}-${hex(4)}`;

// Prints every secret the ways real services do, then serves.
const APP = `import { createServer } from 'node:http';
const names = ['PEM_KEY', 'ODD_PASS', 'INNER_TOKEN', 'OUTER_TOKEN'];
const ascii = (s, upper, extra) => s.replace(extra, (c) => {
  const h = c.charCodeAt(0).toString(16).padStart(4, '0');
  return '\\\\u' + (upper ? h.toUpperCase() : h);
});
for (const n of names) {
  const v = process.env[n];
  console.log(n + ' is ' + v);
  const json = JSON.stringify({ msg: 'config', [n]: v });
  console.log(ascii(json, false, /[^\\x00-\\x7f]/g));
  console.log(ascii(json, false, /[<>&]/g));
  console.log(ascii(json, false, /[^\\x00-\\x7f]/g).replaceAll('/', '\\\\/'));
  console.log(ascii(json, true, /[^\\x00-\\x7f]|[<>&'+]/g).replaceAll('\\\\"', '\\\\u0022'));
}
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"pass"}');
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

describe('secret values no output shows, however they are written', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let api: ApiClient;

  beforeAll(async () => {
    tmp = await tempDir('gantry-review-leaks-');
    const cfg = await writeHelloConfig(tmp.dir, {
      staging: '    secrets: [PEM_KEY, ODD_PASS, INNER_TOKEN, OUTER_TOKEN]',
    });
    server = new ChildServer({ config: cfg.file, dataDir: path.join(tmp.dir, 'data') });
    server.args.splice(server.args.indexOf('--log-level') + 1, 1, 'debug');
    api = new ApiClient(await server.start());
  });

  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('masks every line of a multi-line secret and every JSON spelling of the others', async () => {
    for (const [name, value] of [
      ['PEM_KEY', PEM],
      ['ODD_PASS', ODD],
      ['INNER_TOKEN', INNER],
      ['OUTER_TOKEN', OUTER],
    ] as const) {
      const r = await api.call('PUT', `/api/v1/environments/staging/secrets/${name}`, { value });
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.body)).not.toContain(value);
    }
    const app = path.join(tmp.dir, 'app');
    await mkdir(app, { recursive: true });
    await writeFile(path.join(app, 'server.js'), APP);
    await writeFile(path.join(app, 'package.json'), '{"type":"module"}');
    expect((await api.upload('v1', app)).status).toBe(201);
    const release = await api.deploy('staging', 'v1');
    const detail = await api.waitRelease(release.id);
    expect(detail.release.state).toBe('succeeded');

    const lines = await waitFor('the instance output stored', async () => {
      const r = await api.call<{ lines: Array<{ line: string }> }>(
        'GET',
        '/api/v1/logs?environment=staging&limit=1000',
      );
      return r.body.lines.length >= 20 && r.body.lines.map((l) => l.line);
    });
    const instances = await api.call<{ instances: Array<{ id: string }> }>(
      'GET',
      '/api/v1/instances?environment=staging',
    );
    const outputs: string[] = [];
    for (const i of instances.body.instances) {
      outputs.push(JSON.stringify((await api.call('GET', `/api/v1/instances/${i.id}/logs`)).body));
    }
    const everything = [
      lines.join('\n'),
      ...outputs,
      JSON.stringify(detail),
      JSON.stringify((await api.call('GET', '/api/v1/events?environment=staging')).body),
      server.output,
    ].join('\n');
    expect(lines.join('\n')).toContain('[redacted]');
    // The random part of each value: seen in any spelling, it is a leak.
    const pieces = [...PEM_LINES, ODD_RANDOM, INNER, OUTER.slice(-8)];
    const leaked = everything.split('\n').filter((l) => pieces.some((p) => l.includes(p)));
    expect(leaked).toEqual([]);
  });
});
