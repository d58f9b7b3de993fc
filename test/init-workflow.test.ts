// The GitHub workflows: the one `gantry init --ci github` writes (Node, Python, other) and Gantry's
// own, each checked against the workflow schema by @action-validator/core, then for what they do.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ValidationError, validateWorkflow } from '@action-validator/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../src/cli/program.ts';
import { VERSION_SCRIPT, WORKFLOW_FILE } from '../src/init/index.ts';
import { repoRoot } from './helpers/gantry.ts';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  uses?: string;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs `gantry init --ci github` in a copy of `source` (plus `files`); returns the workflow's text. */
async function generate(name: string, source: string | undefined, files: Record<string, string> = {}) {
  const base = await mkdtemp(path.join(os.tmpdir(), 'gantry-wf-'));
  temps.push(base);
  const dir = path.join(base, name);
  if (source) await cp(source, dir, { recursive: true });
  else await mkdir(dir);
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
  let stderr = '';
  const code = await runCli(['init', '--ci', 'github', '--dir', dir], {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
  });
  expect(code, stderr).toBe(0);
  return readFile(path.join(dir, WORKFLOW_FILE), 'utf8');
}

function describeErrors(errors: ValidationError[]): string {
  return JSON.stringify(errors, null, 2);
}

function expectValid(text: string): Workflow {
  const state = validateWorkflow(text);
  expect(state.actionType).toBe('workflow');
  expect(state.errors, describeErrors(state.errors)).toEqual([]);
  return parse(text) as Workflow;
}

function allSteps(wf: Workflow): Step[] {
  return Object.values(wf.jobs).flatMap((job) => job.steps ?? []);
}

/** Actions are pinned by major version, or by a full commit SHA where no major tag exists. */
function expectPinned(text: string): void {
  const uses = [...text.matchAll(/^\s*(?:- )?uses: (\S+)(.*)$/gm)];
  expect(uses.length).toBeGreaterThan(0);
  for (const [, ref, rest] of uses) {
    if (ref?.startsWith('./')) continue;
    const byMajor = /^[\w.-]+\/[\w.-]+@v\d+$/.test(ref ?? '');
    const bySha = /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(ref ?? '') && /# \d+\.\d+\.\d+/.test(rest ?? '');
    expect(byMajor || bySha, `${ref}${rest}`).toBe(true);
  }
}

function expectPipeline(wf: Workflow, text: string, scanner: RegExp): void {
  expect(wf.on).toEqual({ push: { branches: ['main'], tags: ['v*'] } });
  expect(Object.keys(wf.jobs)).toEqual(['test', 'build', 'scan', 'release']);
  expect(wf.jobs.build?.needs).toBe('test');
  expect(wf.jobs.scan?.needs).toBe('build');
  expect(wf.jobs.release?.needs).toEqual(['build', 'scan']);
  expect(wf.jobs.release?.environment).toBe(`\${{ github.ref_type == 'tag' && 'production' || 'staging' }}`);
  // Only the deploy job, which runs in a GitHub environment, sees Gantry's secrets.
  for (const [name, job] of Object.entries(wf.jobs)) {
    if (name !== 'release') expect(JSON.stringify(job), name).not.toContain('secrets.');
  }
  const release = wf.jobs.release?.steps?.find((s) => s.run?.includes('gantry release'));
  expect(release?.env).toEqual({
    GANTRY_URL: `\${{ secrets.GANTRY_URL }}`,
    GANTRY_TOKEN: `\${{ secrets.GANTRY_TOKEN }}`,
  });
  expect(release?.run).toContain(VERSION_SCRIPT);
  expect(release?.run).toMatch(
    /gantry release --ref "\$GITHUB_REF" --version "\$version" \\\n\s+--artifact "\$RUNNER_TEMP\/release\/app\.tar\.gz" --scan "\$RUNNER_TEMP\/release\/scan\.json" --wait/,
  );
  expect(wf.env?.GANTRY_CLI).toMatch(/^gantry@\d+\.\d+\.\d+/);
  expect(JSON.stringify(wf.jobs.scan)).toMatch(scanner);
  expectPinned(text);
}

describe('the workflow gantry init writes', () => {
  it('validates for a Node project: npm test, npm audit, release', async () => {
    const text = await generate('shop', undefined, {
      'package.json': JSON.stringify({
        name: 'shop',
        scripts: { start: 'node server.js', test: 'node --test', build: 'tsc' },
      }),
      'package-lock.json': '{}',
    });
    const wf = expectValid(text);
    expectPipeline(wf, text, /npm audit --omit=dev --json/);
    const runs = allSteps(wf).map((s) => s.run ?? '');
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npm test');
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npm prune --omit=dev');
  });

  it('validates for the hello example (no lock file, no tests)', async () => {
    const text = await generate('hello', path.join(repoRoot, 'examples/hello/app'));
    const wf = expectValid(text);
    expectPipeline(wf, text, /npm audit/);
    expect(text).not.toContain('npm ci');
    expect(text).not.toContain('cache: npm');
  });

  it('validates for a Python project: pytest, Trivy, release', async () => {
    const text = await generate('items', path.join(repoRoot, 'examples/fastapi/app'), {
      'requirements.txt': 'fastapi\nuvicorn\n',
      'test_main.py': 'def test_ok():\n    assert True\n',
    });
    const wf = expectValid(text);
    expectPipeline(wf, text, /aquasecurity\/trivy-action@[0-9a-f]{40}/);
    const trivy = wf.jobs.scan?.steps?.find((s) => s.uses?.startsWith('aquasecurity/trivy-action'));
    expect(trivy?.with).toMatchObject({ 'scan-type': 'fs', format: 'json', 'exit-code': '0' });
    const runs = allSteps(wf).map((s) => s.run ?? '');
    expect(runs).toContain('python -m pip install -r requirements.txt');
    expect(runs).toContain('python -m pytest');
  });

  it('validates for a project with only a Procfile', async () => {
    const text = await generate('other', undefined, { Procfile: 'web: ./server --port $PORT\n' });
    expectPipeline(expectValid(text), text, /trivy-action/);
  });

  it('is reported when broken', async () => {
    const text = await generate('broken', path.join(repoRoot, 'examples/hello/app'));
    const misspelt = validateWorkflow(
      text.replace(
        '    runs-on: ubuntu-latest\n    needs: test',
        '    runs_on: ubuntu-latest\n    needs: test',
      ),
    );
    expect(describeErrors(misspelt.errors)).toContain('/jobs/build');
    const noSteps = validateWorkflow(text.replace(/^ {4}steps:$/m, '    stepz:'));
    expect(noSteps.errors.length).toBeGreaterThan(0);
    const badYaml = validateWorkflow(`${text}\n  : [unclosed\n`);
    expect(badYaml.errors.length).toBeGreaterThan(0);
  });
});

describe('the version name CI gives a build', () => {
  const version = (env: Record<string, string>) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('bash', ['-c', `${VERSION_SCRIPT}\nprintf %s "$version"`], { env });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`bash exited ${code}`))));
    });
  const sha = '0123456789abcdef0123456789abcdef01234567';

  it('is the tag name for a tag and the first 12 characters of the commit for a branch', async () => {
    expect(await version({ GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v1.2.3', GITHUB_SHA: sha })).toBe(
      'v1.2.3',
    );
    expect(await version({ GITHUB_REF_TYPE: 'branch', GITHUB_REF_NAME: 'main', GITHUB_SHA: sha })).toBe(
      '0123456789ab',
    );
  });
});

describe("Gantry's own workflows", () => {
  const read = (file: string) => readFile(path.join(repoRoot, '.github/workflows', file), 'utf8');

  it('ci.yml validates and runs .ci/run on Debian with Node 24, on push and pull request', async () => {
    const text = await read('ci.yml');
    const wf = expectValid(text);
    expectPinned(text);
    expect(Object.keys(wf.on)).toEqual(['push', 'pull_request', 'workflow_call']);
    const job = wf.jobs.test as Job & { container?: { image?: string } };
    expect(job.container?.image).toBe('node:24-bookworm');
    expect(job.steps?.map((s) => s.run).filter(Boolean)).toEqual(['bash .ci/run']);
  });

  it('release.yml validates: tests, then npm with provenance and the image on GHCR, on v* tags', async () => {
    const text = await read('release.yml');
    const wf = expectValid(text);
    expectPinned(text);
    expect(wf.on).toEqual({ push: { tags: ['v*'] } });
    expect(wf.jobs.test?.uses).toBe('./.github/workflows/ci.yml');
    expect(wf.jobs.npm?.needs).toBe('test');
    expect(wf.jobs.npm?.permissions?.['id-token']).toBe('write');
    expect(wf.jobs.npm?.steps?.map((s) => s.run ?? '')).toContain('npm publish --provenance --access public');
    expect(wf.jobs.image?.needs).toBe('test');
    expect(wf.jobs.image?.permissions?.packages).toBe('write');
    const push = wf.jobs.image?.steps?.find((s) => s.uses?.startsWith('docker/build-push-action'));
    expect(push?.with?.push).toBe(true);
    expect(text).toContain(`images: ghcr.io/\${{ github.repository }}`);
  });
});
