// SIGHUP makes a running `gantry server` re-read gantry.yaml: a valid change applies, an invalid
// one is refused with nothing changed, and both are in the audit log under the server's name.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryView } from '../src/audit/log.ts';
import { ApiClient, ChildServer, tempDir, waitFor, writeHelloConfig } from './helpers/gantry.ts';

const ALARM = `alarms:
  - { name: staging-5xx, environment: staging, metric: http_5xx_rate, above: 5%, period: 10s,
      evaluation_periods: 3, datapoints_to_alarm: 2, severity: P3 }
`;

describe('SIGHUP', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let api: ApiClient;
  let file: string;

  beforeAll(async () => {
    tmp = await tempDir();
    file = (await writeHelloConfig(tmp.dir)).file;
    server = new ChildServer({ config: file, dataDir: path.join(tmp.dir, 'data') });
    await server.start();
    api = new ApiClient({ url: server.url, dataDir: path.join(tmp.dir, 'data') });
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  }, 30_000);

  const alarmNames = async () =>
    (await api.call<{ alarms: Array<{ alarm: string }> }>('GET', '/api/v1/alarms')).body.alarms.map(
      (a) => a.alarm,
    );
  const reloads = async () =>
    (await api.call<{ entries: AuditEntryView[] }>('GET', '/api/v1/audit?limit=50')).body.entries.filter(
      (e) => e.action === 'config.reload',
    );

  it('applies a valid change and records it as the server', async () => {
    expect(await alarmNames()).toEqual([]);
    await appendFile(file, ALARM);
    server.proc?.kill('SIGHUP');
    await waitFor('the alarm to exist', async () => (await alarmNames()).includes('staging-5xx'));
    await waitFor('SIGHUP to be reported', async () => /SIGHUP: reloaded/.test(server.output));
    const [entry] = await reloads();
    expect(entry?.actor).toMatchObject({ kind: 'system', name: 'server' });
  }, 60_000);

  it('refuses an invalid file and changes nothing', async () => {
    const before = await readFile(file, 'utf8');
    await writeFile(file, before.replace('above: 5%', 'above: lots'));
    server.proc?.kill('SIGHUP');
    await waitFor('the refusal to be reported', async () => /SIGHUP: reload refused/.test(server.output));
    expect(server.output).toMatch(/alarms\[0\]\.above/);
    expect(await alarmNames()).toEqual(['staging-5xx']);
    await waitFor('the refusal in the audit log', async () => (await reloads()).length === 2);
    expect((await reloads())[0]?.outcome.error).toBeTruthy();
  }, 60_000);
});
