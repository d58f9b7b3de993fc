import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { freePort, tempDir } from './helpers/gantry.ts';
import { runGantryAtTerminal } from './helpers/terminal.ts';

describe('gantry secrets set at a terminal', () => {
  it('refuses a pasted multi-line value instead of setting its first line', async () => {
    const { dir, cleanup } = await tempDir('gantry-review-secrets-cli-');
    try {
      const lines = [randomBytes(24).toString('base64'), randomBytes(24).toString('base64')];
      const paste = `-----BEGIN PRIVATE KEY-----\r${lines.join('\r')}\r-----END PRIVATE KEY-----\r`;
      const url = `http://127.0.0.1:${await freePort()}`;
      // Nothing listens there: the CLI must stop before it calls a server.
      const result = await runGantryAtTerminal(['secrets', 'set', 'staging', 'TLS_KEY'], {
        dir,
        typed: paste,
        env: { GANTRY_URL: url, GANTRY_TOKEN: 'gantry_unused' },
      });
      expect(result.out).toContain('several lines');
      expect(result.out).toContain('nothing was set');
      expect(result.code).toBe(2);
      for (const l of lines) expect(result.out).not.toContain(l);
    } finally {
      await cleanup();
    }
  });
});
