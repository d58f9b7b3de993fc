// Shell completion scripts for `gantry completion bash|zsh|fish`, generated from the program's own
// commands and options, so a command added to the CLI completes without touching this file. The
// scripts are static: they complete command names, option names and an option's fixed choices
// (`--role viewer|deployer|admin`); other option values fall back to file names.
import type { Command, Option } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface CompletionOption {
  /** `--env`, or `-h` when there is no long form. */
  flag: string;
  takesValue: boolean;
  choices: string[];
  description: string;
}

export interface CompletionNode {
  /** Command names from the program down, e.g. ['alarms', 'list']; [] for the program. */
  path: string[];
  description: string;
  subcommands: string[];
  /** Fixed choices of its arguments (`completion <shell>`: bash zsh fish). */
  arguments: string[];
  options: CompletionOption[];
}

/** Every command of the program with its subcommands and options, the program first. */
export function describeCommands(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const walk = (cmd: Command, path: string[]): void => {
    const visible = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      description: cmd.description(),
      subcommands: visible.map((c) => c.name()),
      arguments: cmd.registeredArguments.flatMap((a) => a.argChoices ?? []),
      options: [...cmd.options.filter((o) => !o.hidden), helpOption].map(describeOption),
    });
    for (const sub of visible) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return nodes;
}

const helpOption = {
  long: '--help',
  short: '-h',
  required: false,
  optional: false,
  description: 'display help',
};

function describeOption(o: Option | typeof helpOption): CompletionOption {
  return {
    flag: o.long ?? o.short ?? '',
    takesValue: o.required || o.optional,
    choices: 'argChoices' in o && o.argChoices ? [...o.argChoices] : [],
    description: o.description,
  };
}

export function completionScript(shell: Shell, program: Command): string {
  const nodes = describeCommands(program);
  const name = program.name();
  if (shell === 'fish') return fishScript(name, nodes);
  const bash = bashScript(name, nodes);
  if (shell === 'bash') return bash;
  // zsh runs the bash function through its bash compatibility layer.
  return [
    `# ${name} completion for zsh. Load it in this shell, or from ~/.zshrc:`,
    `#   source <(${name} completion zsh)`,
    '(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }',
    'autoload -U +X bashcompinit && bashcompinit',
    bash.split('\n').slice(2).join('\n'),
  ].join('\n');
}

/** A single-quoted shell word. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function bashScript(name: string, nodes: CompletionNode[]): string {
  const fn = `_${name.replace(/\W/g, '_')}`;
  const words = nodes.map(
    (n) =>
      `    ${quote(n.path.join(' '))}) echo ${quote([...n.subcommands, ...n.arguments, ...n.options.map((o) => o.flag)].join(' '))} ;;`,
  );
  const values = nodes.flatMap((n) =>
    n.options
      .filter((o) => o.takesValue)
      .map((o) => `    ${quote(`${n.path.join(' ')}|${o.flag}`)}) echo ${quote(o.choices.join(' '))} ;;`),
  );
  return `# ${name} completion for bash. Load it in this shell, or from ~/.bashrc:
#   source <(${name} completion bash)
${fn}_words() {
  case "$1" in
${words.join('\n')}
    *) return 1 ;;
  esac
}
# An option that takes a value: its fixed choices, or nothing (file names then).
${fn}_values() {
  case "$1" in
${values.join('\n')}
    *) return 1 ;;
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" next word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    next="\${path:+$path }$word"
    if [[ $word != -* ]] && ${fn}_words "$next" >/dev/null; then path="$next"; fi
  done
  ((COMP_CWORD > 1)) && prev="\${COMP_WORDS[COMP_CWORD - 1]}"
  local values
  if values="$(${fn}_values "$path|$prev")"; then
    COMPREPLY=($(compgen -W "$values" -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -W "$(${fn}_words "$path")" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

function fishScript(name: string, nodes: CompletionNode[]): string {
  const lines = [
    `# ${name} completion for fish: ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    `complete -c ${name} -f`,
  ];
  for (const node of nodes) {
    const key = node.path.join(' ');
    const children = nodes.filter(
      (n) => n.path.length === node.path.length + 1 && n.path.slice(0, -1).join(' ') === key,
    );
    // Here: every command on the path has been typed, and none of this node's subcommands yet.
    const here = [
      ...(node.path.length === 0
        ? ['__fish_use_subcommand']
        : node.path.map((p) => `__fish_seen_subcommand_from ${p}`)),
      ...(node.path.length > 0 && children.length > 0
        ? [`not __fish_seen_subcommand_from ${node.subcommands.join(' ')}`]
        : []),
    ].join('; and ');
    for (const child of children) {
      const sub = child.path.at(-1) ?? '';
      lines.push(
        `complete -c ${name} -n ${quote(here)} -a ${quote(sub)} -d ${quote(firstLine(child.description))}`,
      );
    }
    if (node.arguments.length > 0) {
      lines.push(`complete -c ${name} -n ${quote(here)} -a ${quote(node.arguments.join(' '))}`);
    }
    for (const o of node.options) {
      const flag = o.flag.startsWith('--') ? `-l ${o.flag.slice(2)}` : `-s ${o.flag.slice(1)}`;
      const value = o.takesValue
        ? o.choices.length > 0
          ? ` -x -a ${quote(o.choices.join(' '))}`
          : ' -r -F'
        : '';
      lines.push(
        `complete -c ${name} -n ${quote(here)} ${flag}${value} -d ${quote(firstLine(o.description))}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 80);
}
