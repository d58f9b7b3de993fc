// `gantry completion bash|zsh|fish`: each script is loaded into the real shell, which is then asked
// to complete command lines: command names, subcommands, options and an option's fixed choices.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGantry, tempDir } from './helpers/gantry.ts';
import { hasExecutable, requirePeer } from './helpers/peers.ts';

let dir: { dir: string; cleanup: () => Promise<void> };
const scripts: Record<string, string> = {};

beforeAll(async () => {
  dir = await tempDir('gantry-completion-');
  for (const shell of ['bash', 'zsh', 'fish']) {
    const res = await runGantry(['completion', shell]);
    expect(res.code, res.stderr).toBe(0);
    scripts[shell] = path.join(dir.dir, `gantry.${shell}`);
    await writeFile(scripts[shell], res.stdout);
  }
});

afterAll(async () => dir?.cleanup());

/** Runs `script` in `shell` and returns its output lines. */
function shell(name: string, args: string[]): string[] {
  const res = spawnSync(name, args, {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, HOME: dir.dir },
  });
  expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
  return res.stdout.split('\n').filter((l) => l !== '');
}

// [line typed, what the completion must offer, what it must not]
const CASES: Array<[string, string[], string[]]> = [
  ['gantry al', ['alarms'], ['audit']],
  ['gantry alarms ', ['list', 'history', 'silence', 'synthetics'], ['deploy']],
  ['gantry tokens create --role d', ['deployer'], ['admin']],
  ['gantry init --ci ', ['github'], []],
  ['gantry deploy --env staging --w', ['--wait'], ['--env']],
  ['gantry --url http://127.0.0.1:7070 status --e', ['--env'], []],
  ['gantry completion ', ['bash', 'zsh', 'fish'], []],
];

describe('bash', () => {
  /** COMPREPLY for the line, as bash's programmable completion would fill it. */
  const complete = (line: string) => {
    const words = line.split(' ');
    const setup = `source ${scripts.bash}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}`;
    return shell('bash', ['-c', `${setup}; _gantry; printf '%s\\n' "\${COMPREPLY[@]}"`]);
  };

  it.each(CASES)('%s', (line, offered, notOffered) => {
    const got = complete(line);
    for (const word of offered) expect(got).toContain(word);
    for (const word of notOffered) expect(got).not.toContain(word);
  });

  it('offers nothing of its own for a path (bash then completes file names)', () => {
    expect(complete('gantry deploy --artifact ')).toEqual([]);
  });

  it('is registered for the gantry command', () => {
    expect(shell('bash', ['-c', `source ${scripts.bash}; complete -p gantry`])).toEqual([
      'complete -o default -F _gantry gantry',
    ]);
  });
});

describe.skipIf(requirePeer('fish', hasExecutable('/usr/bin/fish')) === 'skip')(
  'fish (skipped locally when /usr/bin/fish is not installed)',
  () => {
    it.each(CASES)('%s', (line, offered, notOffered) => {
      const got = shell('fish', ['-c', `source ${scripts.fish}; complete -C '${line}'`]).map(
        (l) => l.split('\t')[0],
      );
      for (const word of offered) expect(got).toContain(word);
      for (const word of notOffered) expect(got).not.toContain(word);
    });
  },
);

describe.skipIf(requirePeer('zsh', hasExecutable('/usr/bin/zsh')) === 'skip')(
  'zsh (skipped locally when /usr/bin/zsh is not installed)',
  () => {
    // zsh runs the bash function through bashcompinit; zsh itself filters the offers by prefix.
    it.each(CASES)('%s', (line, offered) => {
      const words = line.split(' ');
      const call = `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _gantry; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const got = shell('zsh', [
        '-f',
        '-c',
        `source ${scripts.zsh}; emulate sh -c '${call.replaceAll("'", `'\\''`)}'`,
      ]);
      for (const word of offered) expect(got).toContain(word);
    });
  },
);

it('refuses a shell it does not know (exit 2)', async () => {
  const res = await runGantry(['completion', 'powershell']);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain('bash, zsh, fish');
});
