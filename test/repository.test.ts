// What a newcomer meets before any code runs: the licence the package declares, what `npm pack`
// puts in the tarball, and references in the repository that point at files it does not have.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/gantry.ts';

const run = promisify(execFile);

async function trackedFiles(): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '-z'], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  return stdout.split('\0').filter((f) => f !== '' && existsSync(path.join(repoRoot, f)));
}

const TEXT = /\.(ts|js|mjs|json|ya?ml|md|py|html|css|txt)$|^(Dockerfile|\.ci\/run|\.npmrc|LICENSE)$/;

describe('the licence', () => {
  it('LICENSE holds the licence package.json declares', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as {
      license: string;
    };
    expect(pkg.license).toBe('MIT');
    const text = await readFile(path.join(repoRoot, 'LICENSE'), 'utf8');
    expect(text.split('\n')[0]).toBe('MIT License');
    expect(text).toContain('Permission is hereby granted, free of charge');
  });
});

describe('npm pack', () => {
  it('puts the licence, README, bin, schema and examples in the tarball, and no sources, tests or npm settings', async () => {
    // --ignore-scripts: the list only (prepack would build dist/, which test/init-build checks).
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repoRoot,
      env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: 'false' },
    });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map(
      (f) => f.path,
    );
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'bin/gantry.js',
        'schema/gantry.schema.json',
        'examples/hello/gantry.yaml',
      ]),
    );
    expect(files?.filter((f) => /^(src|test|\.ci)\//.test(f) || f === '.npmrc')).toEqual([]);
  });
});

describe('references inside the repository', () => {
  it('cite no DESIGN.md the repository does not have', async () => {
    if (existsSync(path.join(repoRoot, 'DESIGN.md'))) return;
    const citing: string[] = [];
    for (const file of (await trackedFiles()).filter((f) => TEXT.test(f))) {
      if (file === 'test/repository.test.ts') continue;
      const lines = (await readFile(path.join(repoRoot, file), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        if (/DESIGN(\.md| §)/.test(line)) citing.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(citing).toEqual([]);
  });

  it('link from the README and docs/ only to files that exist', async () => {
    const pages = (await trackedFiles()).filter((f) => f === 'README.md' || /^docs\/.*\.md$/.test(f));
    const broken: string[] = [];
    for (const page of pages) {
      const text = await readFile(path.join(repoRoot, page), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (m[1] ?? '').split('#')[0] ?? '';
        if (target === '' || /^[a-z]+:/.test(target)) continue;
        if (!existsSync(path.resolve(repoRoot, path.dirname(page), target)))
          broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
