// What `gantry server` tells a person once it is up: where the API is and what each environment serves.
import { environmentViews } from '../api/views.ts';
import type { GantryServer } from './server.ts';

export async function printBanner(server: GantryServer, json: boolean): Promise<void> {
  const runtimes = [...server.services().values()];
  const several = runtimes.length > 1;
  const envs = [];
  for (const r of runtimes) {
    const views = await environmentViews({
      config: r.holder.get(),
      store: server.store,
      fleet: r.fleet,
      dataPlane: r.dataPlane,
    });
    // On a server with several services, an environment is named with its service: api/production.
    envs.push(...views.map((e) => (several ? { ...e, name: `${r.name}/${e.name}` } : e)));
  }
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        url: server.url,
        dataDir: server.dataDir,
        environments: envs.map((e) => ({ name: e.name, url: e.url, version: e.currentVersion })),
        ...(server.adminToken
          ? { adminToken: server.adminToken.token, adminTokenFile: server.adminToken.file }
          : {}),
      })}\n`,
    );
    return;
  }
  const width = Math.max(...envs.map((e) => e.name.length), 3) + 2;
  const lines = [
    `Gantry is serving ${runtimes.map((r) => `${r.name} (${r.holder.get().file})`).join(', ')}`,
    `  ${'api'.padEnd(width)}${server.url}   (try: npx gantry status)`,
    ...envs.map(
      (e) =>
        `  ${e.name.padEnd(width)}${e.url}   ${e.currentVersion ?? 'no version yet'} (${e.readyInstances}/${e.desiredInstances} ready)`,
    ),
    ...adminTokenLines(server),
    'Stop with Ctrl-C.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The first admin token, printed this once (it is never logged); the CLI finds it in its file. */
function adminTokenLines(server: GantryServer): string[] {
  const t = server.adminToken;
  if (!t) return [];
  return [
    `  admin token (shown only now; also saved in ${t.file}, mode 0600):`,
    `    ${t.token}`,
    '  The CLI on this machine reads that file by itself; elsewhere set GANTRY_TOKEN, or log in to the dashboard with it.',
  ];
}
