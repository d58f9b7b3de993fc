// ConfigHolder: a reload that fails while being applied puts the previous config back in force and
// applies it again, so what runs matches what the server reports.
import { appendFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigHolder } from '../src/app/reload.ts';
import { loadConfigFile } from '../src/config/index.ts';
import type { LoadedConfig } from '../src/config/types.ts';
import { tempDir, writeHelloConfig } from './helpers/gantry.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn();
});

describe('ConfigHolder', () => {
  it('restores and re-applies the previous config when applying the new one fails', async () => {
    const tmp = await tempDir();
    cleanups.push(tmp.cleanup);
    const { file } = await writeHelloConfig(tmp.dir);
    const first = await loadConfigFile(file);
    const holder = new ConfigHolder(first);
    const applied: Array<LoadedConfig['config']['incidents']['open_at']> = [];
    holder.onReload((c) => {
      applied.push(c.config.incidents.open_at);
    });
    holder.onReload((c) => {
      if (c.config.incidents.open_at === 'P1') throw new Error('port 8079 is in use');
    });

    await appendFile(file, '\nincidents: { open_at: P1 }\n');
    await expect(holder.reload()).rejects.toMatchObject({
      code: 'CONFIG_RELOAD_FAILED',
      message: expect.stringMatching(
        /could not be applied \(port 8079 is in use\); the previous configuration is back in force$/,
      ),
    });
    expect(holder.get()).toBe(first);
    expect(applied).toEqual(['P1', first.config.incidents.open_at]);
  });
});
