// The files that describe a server's services: `--config DIR` (every .yaml/.yml file in it) or
// `--config FILE`, given once or more. Each file is one service exactly as a single gantry.yaml is,
// and no two files may name the same service. Read again, whole, at every reload.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../config/index.ts';
import type { LoadedConfig } from '../config/types.ts';

const SERVICE_FILE = /\.ya?ml$/i;

/** The files named by the --config arguments: a directory stands for its YAML files, sorted by name. */
export async function listServiceFiles(configs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const config of configs) {
    const info = await stat(config).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(config);
      continue;
    }
    const names = (await readdir(config)).filter((n) => SERVICE_FILE.test(n)).sort();
    if (names.length === 0) {
      throw new ConfigError([
        {
          file: config,
          line: 0,
          column: 0,
          path: '',
          message: 'is a directory with no .yaml or .yml file: put one file per service in it',
        },
      ]);
    }
    files.push(...names.map((n) => path.join(config, n)));
  }
  // A file named twice (directly and through its directory) is one service, not two.
  const seen = new Set<string>();
  return files.filter((f) => !seen.has(path.resolve(f)) && seen.add(path.resolve(f)));
}

/**
 * Loads every service file (each with `load`, which throws ConfigError for a bad one) and refuses
 * two files naming the same service, with both files and lines.
 */
export async function loadServiceFiles(
  configs: readonly string[],
  load: (file: string) => Promise<LoadedConfig>,
): Promise<LoadedConfig[]> {
  const files = await listServiceFiles(configs);
  const loaded: LoadedConfig[] = [];
  for (const file of files) loaded.push(await load(file));
  const issues: ConfigIssue[] = [];
  const first = new Map<string, LoadedConfig>();
  for (const l of loaded) {
    const name = l.config.service;
    const earlier = first.get(name);
    if (!earlier) {
      first.set(name, l);
      continue;
    }
    issues.push({
      file: l.file,
      line: await serviceLine(l.file),
      column: 1,
      path: 'service',
      message: `names service "${name}", which ${earlier.file}:${await serviceLine(earlier.file)} names too: each file must describe a service of its own (rename one)`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return loaded;
}

/** The line of the top-level `service:` key (1 when it cannot be found). */
async function serviceLine(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const index = text.split('\n').findIndex((l) => /^service\s*:/.test(l));
  return index >= 0 ? index + 1 : 1;
}
