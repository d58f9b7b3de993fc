// The example images (examples/hello, examples/fastapi): multi-stage Dockerfiles whose runtime
// stage is minimal and unprivileged, listening on the port their gantry.docker.yaml names. They
// are built by users with registry access; here (no pulls possible) they are read, and their
// configs go through the real loader. The Podman e2e runs images built FROM scratch instead.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/index.ts';
import { only, parseDockerfile, type Stage } from './helpers/dockerfile.ts';
import { repoRoot } from './helpers/gantry.ts';

const MINIMAL_RUNTIMES = [/^gcr\.io\/distroless\//, /-slim(-\w+)?$/, /alpine/];

async function example(name: string) {
  const dir = path.join(repoRoot, 'examples', name);
  const stages = parseDockerfile(await readFile(path.join(dir, 'Dockerfile'), 'utf8'));
  const { config } = await loadConfigFile(path.join(dir, 'gantry.docker.yaml'));
  const ignore = await readFile(path.join(dir, '.dockerignore'), 'utf8');
  return { stages, runtime: stages.at(-1) as Stage, config, ignore };
}

/** The value of VAR in the stage's ENV lines (`ENV A=1 B=2`). */
function envOf(stage: Stage, name: string): string | undefined {
  for (const line of only(stage, 'ENV')) {
    const m = new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(line);
    if (m) return m[1];
  }
  return undefined;
}

describe.each(['hello', 'fastapi'])('examples/%s image', (name) => {
  it('is multi-stage: dependencies in a build stage, the runtime stage copies only results', async () => {
    const { stages, runtime } = await example(name);
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(only(stages[0] as Stage, 'RUN').length).toBeGreaterThan(0);
    expect(
      MINIMAL_RUNTIMES.some((re) => re.test(runtime.image)),
      runtime.image,
    ).toBe(true);
    expect(only(runtime, 'COPY').some((c) => c.includes('--from=build'))).toBe(true);
    // No package manager runs in the runtime stage: it ships what the build stage made.
    expect(only(runtime, 'RUN').join('\n')).not.toMatch(/\b(pip|npm|apt-get|apk)\b/);
  });

  it('runs as a non-root user', async () => {
    const users = only((await example(name)).runtime, 'USER');
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('listens on every interface at the port gantry.docker.yaml names', async () => {
    const { runtime, config } = await example(name);
    expect(config.runtime.type).toBe('docker');
    const port = config.run.port;
    expect(only(runtime, 'EXPOSE')).toEqual([String(port)]);
    expect(envOf(runtime, 'PORT')).toBe(String(port));
    const cmd = JSON.parse(only(runtime, 'CMD').at(-1) ?? '[]') as string[];
    const command = config.run.command ?? cmd;
    if (name === 'hello') expect(envOf(runtime, 'HOST')).toBe('0.0.0.0');
    else expect((command as string[]).join(' ')).toContain(`--bind 0.0.0.0:${port}`);
  });

  it('sends only what the image needs as the build context', async () => {
    const { ignore } = await example(name);
    expect(ignore.split('\n')).toContain('*');
    expect(ignore.split('\n')).toContain('!app/');
  });
});

describe('examples/fastapi image', () => {
  it('installs what main.py imports, and runs Gunicorn with Uvicorn workers', async () => {
    const dir = path.join(repoRoot, 'examples', 'fastapi');
    const requirements = await readFile(path.join(dir, 'requirements.txt'), 'utf8');
    for (const pkg of ['fastapi', 'gunicorn', 'uvicorn'])
      expect(requirements).toMatch(new RegExp(`^${pkg}\\b`, 'm'));
    const { runtime, config } = await example('fastapi');
    expect(only(runtime, 'CMD').at(-1)).toContain('"-k", "uvicorn.workers.UvicornWorker"');
    expect(config.run.command).toEqual(
      expect.arrayContaining(['gunicorn', 'uvicorn.workers.UvicornWorker', 'main:app']),
    );
    // Longer than Gunicorn's --graceful-timeout (10 s), so it drains before a kill.
    expect(config.run.stop_timeout).toBeGreaterThan(10_000);
  });
});
