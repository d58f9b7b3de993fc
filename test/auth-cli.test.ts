import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildServer, runGantry, tempDir, waitFor, writeHelloConfig } from './helpers/gantry.ts';

const gantry = (args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) =>
  runGantry(args, {
    // Only what the test gives: a token or data dir of the machine running the tests must not leak in.
    env: { GANTRY_TOKEN: undefined, GANTRY_DATA_DIR: undefined, ...opts.env },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    timeoutMs: 30_000,
  });

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('gantry tokens and gantry audit against a real server', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: ChildServer;
  let dataDir: string;
  let env: Record<string, string>;
  const secrets: string[] = [];

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir);
    // `.gantry` inside the directory the CLI runs in: the default data dir, as after `npm start`.
    dataDir = path.join(tmp.dir, '.gantry');
    server = new ChildServer({ config: cfg.file, dataDir });
    await server.start();
    env = { GANTRY_URL: server.url };
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  }, 30_000);

  it('creates the first admin token at first start: mode 0600, printed once, found by the CLI', async () => {
    const file = path.join(dataDir, 'admin-token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const token = (await readFile(file, 'utf8')).trim();
    expect(token).toMatch(/^gantry_[A-Za-z0-9_-]{43}$/);
    expect(token).toBe(server.token);
    // The banner follows the "ready" line the helper waits for.
    await waitFor('the banner', async () => server.output.includes('Stop with Ctrl-C'));
    expect(count(server.output, token)).toBe(1);
    expect(server.output).toMatch(/admin token \(shown only now/);
    // No GANTRY_TOKEN, no --data-dir: the CLI finds .gantry/admin-token in its working directory.
    const status = await gantry(['status'], { env, cwd: tmp.dir });
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/staging/);
    // Elsewhere, without the file, it says what to do.
    const lost = await gantry(['status'], { env: { ...env, GANTRY_DATA_DIR: path.join(tmp.dir, 'none') } });
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(/needs a token/);
    expect(lost.stderr).toMatch(/hint: .*GANTRY_TOKEN/);
  });

  it('tokens create prints the token alone on stdout, once; list shows it without it; revoke ends it', async () => {
    const created = await gantry(
      [
        'tokens',
        'create',
        '--role',
        'deployer',
        '--env',
        'staging',
        '--expires',
        '30d',
        '--name',
        'ci-staging',
      ],
      { env, cwd: tmp.dir },
    );
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    secrets.push(secret);
    expect(secret).toMatch(/^gantry_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/created tok_\w+ "ci-staging": deployer on staging, expires /);
    expect(created.stderr).toMatch(/only time the token is shown/);

    const list = await gantry(['tokens', 'list', '--json'], { env, cwd: tmp.dir });
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(secret);
    const tokens = (JSON.parse(list.stdout) as { tokens: Array<Record<string, unknown>> }).tokens;
    const mine = tokens.find((t) => t.name === 'ci-staging');
    expect(mine).toMatchObject({ role: 'deployer', environments: ['staging'], state: 'active' });
    const table = await gantry(['tokens'], { env, cwd: tmp.dir });
    expect(table.stdout).toMatch(/ci-staging\s+deployer\s+staging\s+gantry_\S{8}…\s+active/);

    // The deployer may not manage tokens: refused with the roles named.
    const asDeployer = { ...env, GANTRY_TOKEN: secret };
    const refused = await gantry(['tokens', 'list'], { env: asDeployer });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /needs the admin role; token ci-staging \(tok_\w+\) has deployer on staging only/,
    );
    const who = await gantry(['tokens', 'whoami'], { env: asDeployer });
    expect(who.stdout).toMatch(/ci-staging \(tok_\w+\): deployer on staging/);

    const revoked = await gantry(['tokens', 'revoke', String(mine?.id)], { env, cwd: tmp.dir });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/revoked tok_\w+ "ci-staging"/);
    const after = await gantry(['status'], { env: asDeployer });
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/not valid \(unknown or revoked\)/);
    expect(after.stderr).toMatch(/hint: /);
    expect(after.stderr).not.toContain(secret);
  });

  it('gantry audit lists the changes; --verify passes, then names the first tampered entry', async () => {
    const list = await gantry(['audit', '--limit', '100'], { env, cwd: tmp.dir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/POST \/api\/v1\/tokens/);
    expect(list.stdout).toMatch(/DELETE \/api\/v1\/tokens\/:id/);
    expect(list.stdout).toMatch(/token\.bootstrap/);
    const ok = await gantry(['audit', '--verify'], { env, cwd: tmp.dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/audit log intact: \d+ entries/);

    const json = JSON.parse((await gantry(['audit', '--json'], { env, cwd: tmp.dir })).stdout) as {
      entries: Array<{ seq: number; action: string }>;
    };
    const victim = json.entries.find((e) => e.action === 'POST /api/v1/tokens');
    if (!victim) throw new Error('no POST /api/v1/tokens entry');
    // Someone with the database file drops the guard and rewrites who created a token.
    const db = new DatabaseSync(path.join(dataDir, 'gantry.db'), { timeout: 10_000 });
    try {
      db.exec('drop trigger audit_log_no_update');
      db.prepare("update audit_log set actor_name = 'nobody' where seq = ?").run(victim.seq);
    } finally {
      db.close();
    }
    const bad = await gantry(['audit', '--verify'], { env, cwd: tmp.dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`entry #${victim.seq} does not fit the chain`);
    const badJson = await gantry(['audit', '--verify', '--json'], { env, cwd: tmp.dir });
    expect(JSON.parse(badJson.stdout)).toMatchObject({ ok: false, firstBad: { seq: victim.seq } });
  });

  it('a restart creates no other token and prints none; no token value is ever in the log', async () => {
    const before = await readFile(path.join(dataDir, 'admin-token'), 'utf8');
    const firstRun = server.output;
    await server.stop();
    await server.start();
    await waitFor('the banner', async () => server.output.includes('Stop with Ctrl-C'));
    expect(await readFile(path.join(dataDir, 'admin-token'), 'utf8')).toBe(before);
    expect(server.output).not.toContain(before.trim());
    expect(server.output).not.toMatch(/admin token/);
    expect((await gantry(['status'], { env: { GANTRY_URL: server.url }, cwd: tmp.dir })).code).toBe(0);
    for (const secret of secrets) {
      expect(firstRun).not.toContain(secret);
      expect(server.output).not.toContain(secret);
    }
  }, 90_000);
});
