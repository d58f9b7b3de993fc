// Reads a Dockerfile into stages of instructions, for tests that check what an image would be
// without building it (nothing can be pulled on these machines).

export interface Instruction {
  keyword: string;
  args: string;
}
export interface Stage {
  image: string;
  name: string;
  instructions: Instruction[];
}

/** Dockerfile → stages of instructions (continuations joined, comments dropped, ARGs substituted). */
export function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const keyword = (m[1] ?? '').toUpperCase();
    const rest = (m[2] ?? '').replace(/\$\{(\w+)\}/g, (all, name: string) => args.get(name) ?? all);
    if (keyword === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=');
      if (name && value) args.set(name, value);
    } else if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      stages.push({ image: from?.[1] ?? '', name: from?.[2] ?? '', instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args: rest });
    }
  }
  return stages;
}

export function only(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}
