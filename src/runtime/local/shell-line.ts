// The process runtime runs one shell line; a command given as argv (as for containers) is quoted
// into one, so each argument reaches the program as written.

/** A shell line for `command`: a string as it is, an argv with each argument single-quoted where needed. */
export function shellLine(command: string | readonly string[]): string {
  if (typeof command === 'string') return command;
  return command.map(quoteArg).join(' ');
}

function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
