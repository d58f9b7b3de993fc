// `gantry init` for a project with a Dockerfile (or --runtime docker): a gantry.yaml with
// `runtime: docker`, run.image and run.port (from EXPOSE), and the workflow test → docker build →
// trivy image → push → `gantry release --image … --scan …`, validated by @action-validator/core.
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../src/cli/program.ts';
import { loadConfigFile } from '../src/config/index.ts';
import { exposedPort } from '../src/init/dockerfile.ts';
import { VERSION_SCRIPT, WORKFLOW_FILE } from '../src/init/index.ts';
import { repoRoot } from './helpers/gantry.ts';

interface Step {
  uses?: string;
  run?: string;
  id?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  outputs?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function project(name: string, files: Record<string, string>, copyFrom?: string): Promise<string> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'gantry-init-image-'));
  temps.push(base);
  const dir = path.join(base, name);
  if (copyFrom) await cp(copyFrom, dir, { recursive: true });
  else await mkdir(dir);
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
  return dir;
}

async function init(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['init', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  });
  return { code, stdout, stderr };
}

/** The FastAPI example as a project of its own: app/, requirements.txt and its Dockerfile at the top. */
async function fastApiProject(): Promise<string> {
  const example = path.join(repoRoot, 'examples/fastapi');
  return project(
    'items-api',
    {
      Dockerfile: await readFile(path.join(example, 'Dockerfile'), 'utf8'),
      'requirements.txt': await readFile(path.join(example, 'requirements.txt'), 'utf8'),
      'test_main.py': 'def test_ok():\n    assert True\n',
    },
    path.join(example, 'app'),
  );
}

describe('gantry init with a Dockerfile', () => {
  it('writes runtime docker, run.image and the EXPOSEd port, and the config loads', async () => {
    const dir = await fastApiProject();
    const res = await init(['--dir', dir, '--ci', 'github']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(
      'wrote gantry.yaml (service items-api: image registry.example.com/items-api (edit run.image), port 8000, health /health and /readiness)',
    );
    expect(res.stdout).toContain('Set run.image in gantry.yaml to your registry');
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(config.runtime).toEqual({
      type: 'docker',
      docker: { network: 'bridge', pull: 'if-not-present', registries: [] },
    });
    expect(config.run).toMatchObject({ image: 'registry.example.com/items-api', port: 8000 });
    expect(config.run.command).toBeUndefined();
    expect(config.environments.production?.scan?.fail_on).toBe('critical');
  });

  it('writes the image pipeline: test → build, trivy image, push → release of the pushed digest', async () => {
    const dir = await fastApiProject();
    expect((await init(['--dir', dir, '--ci', 'github'])).code).toBe(0);
    const text = await readFile(path.join(dir, WORKFLOW_FILE), 'utf8');
    const state = validateWorkflow(text);
    expect(state.errors, JSON.stringify(state.errors, null, 2)).toEqual([]);
    const wf = parse(text) as Workflow;
    expect(Object.keys(wf.jobs)).toEqual(['test', 'image', 'release']);
    expect(wf.jobs.image?.needs).toBe('test');
    expect(wf.jobs.release?.needs).toBe('image');
    expect(wf.jobs.release?.environment).toBe(
      `\${{ github.ref_type == 'tag' && 'production' || 'staging' }}`,
    );
    // The workflow pushes where gantry.yaml pulls from.
    const { config } = await loadConfigFile(path.join(dir, 'gantry.yaml'));
    expect(wf.env?.IMAGE).toBe(config.run.image);

    const steps = wf.jobs.image?.steps ?? [];
    const names = steps.map((s) => s.uses?.split('@')[0] ?? s.id ?? s.run?.split(' ')[0]);
    expect(names).toEqual([
      'actions/checkout',
      'version',
      'docker',
      'aquasecurity/trivy-action',
      'actions/upload-artifact',
      'push',
    ]);
    expect(steps[1]?.run).toContain(VERSION_SCRIPT);
    expect(steps[2]?.run).toBe('docker build --pull --tag "$IMAGE:$VERSION" .');
    expect(steps[3]?.with).toMatchObject({
      'scan-type': 'image',
      'image-ref': `\${{ env.IMAGE }}:\${{ steps.version.outputs.version }}`,
      format: 'json',
      'exit-code': '0',
    });
    expect(steps[5]?.run).toContain('docker push "$IMAGE:$VERSION"');
    expect(wf.jobs.image?.outputs?.image).toBe(`\${{ steps.push.outputs.image }}`);

    const release = wf.jobs.release?.steps?.find((s) => s.run?.includes('gantry release'));
    expect(release?.run).toMatch(
      /gantry release --ref "\$GITHUB_REF" --version "\$VERSION" \\\n\s+--image "\$IMAGE_REF" --scan "\$RUNNER_TEMP\/release\/scan\.json" --wait/,
    );
    expect(release?.env).toMatchObject({ IMAGE_REF: `\${{ needs.image.outputs.image }}` });
    // Registry credentials only where the image is pushed; Gantry's only where it is released.
    expect(JSON.stringify(wf.jobs.test)).not.toContain('secrets.');
    expect(JSON.stringify(wf.jobs.image)).not.toContain('secrets.GANTRY');
    expect(JSON.stringify(wf.jobs.release)).not.toContain('secrets.REGISTRY');
  });

  it("logs in to the registry of IMAGE and names the digest the push made (the scripts' shell parts)", () => {
    const run = (script: string, env: Record<string, string>) =>
      spawnSync('bash', ['-c', script], { env, encoding: 'utf8' }).stdout;
    expect(run(`printf %s "\${IMAGE%%/*}"`, { IMAGE: '127.0.0.1:5000/team/items-api' })).toBe(
      '127.0.0.1:5000',
    );
    expect(
      run(`printf %s "\${IMAGE%%/*}"`, { IMAGE: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop' }),
    ).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com');
  });

  it('--runtime process keeps the directory pipeline; --runtime docker without a Dockerfile warns', async () => {
    const dir = await fastApiProject();
    expect((await init(['--dir', dir, '--runtime', 'process'])).code).toBe(0);
    expect((await loadConfigFile(path.join(dir, 'gantry.yaml'))).config.runtime).toEqual({ type: 'process' });

    const bare = await project('shop', {
      'package.json': JSON.stringify({ name: 'shop', scripts: { start: 'node server.js' } }),
    });
    const res = await init(['--dir', bare, '--runtime', 'docker', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { runtime: string; run: unknown; warnings: string[] };
    expect(out.runtime).toBe('docker');
    expect(out.run).toEqual({ image: 'registry.example.com/shop', port: 3000 });
    expect(out.warnings).toEqual(
      expect.arrayContaining([
        "no Dockerfile here: write a multi-stage one whose last stage runs as a non-root user (see Gantry's examples/hello/Dockerfile and examples/fastapi/Dockerfile)",
        'no EXPOSE in Dockerfile: guessed that the service listens on port 3000 in the container, check run.port',
      ]),
    );
    const { config } = await loadConfigFile(path.join(bare, 'gantry.yaml'));
    expect(config.run).toMatchObject({ image: 'registry.example.com/shop', port: 3000 });
  });

  it('reads the port the last stage EXPOSEs', () => {
    expect(exposedPort('FROM a AS build\nEXPOSE 9999\nFROM b\nEXPOSE 8000/tcp 9000\n')).toBe(8000);
    expect(exposedPort('FROM a\nEXPOSE 7000\nFROM b\nCMD ["x"]\n')).toBeUndefined();
    expect(exposedPort('FROM a\nexpose \\\n  8080\n')).toBe(8080);
    expect(exposedPort('FROM a\nEXPOSE $PORT\n')).toBeUndefined();
  });
});
