// The run command `gantry init` writes when nothing in a project says how to start it. Run, it
// fails with instructions; validation refuses it first (`gantry validate`, the server's start and
// reload), so a starter file nobody finished never gets as far as a release.
import type { PathIssue } from './zod-issues.ts';

/** The words that mark the placeholder; whoever edits the command removes them with it. */
export const PLACEHOLDER_MARK = 'gantry init found no start command';

/** A valid shell command that explains itself on stderr and exits 1. */
export const PLACEHOLDER_COMMAND = `echo "gantry.yaml: ${PLACEHOLDER_MARK}: set run.command to the command that starts this service on port \\$PORT" >&2; exit 1`;

export const PLACEHOLDER_MESSAGE =
  'still the placeholder `gantry init` wrote (it found no start command): set it to the command that starts your service, listening on the port in $PORT (e.g. `node server.js`)';

/** An issue at run.command when it still holds the placeholder (read from the raw YAML value). */
export function findPlaceholderIssues(raw: unknown): PathIssue[] {
  const run = isMapping(raw) ? raw.run : undefined;
  const command = isMapping(run) ? run.command : undefined;
  if (typeof command !== 'string' || !command.includes(PLACEHOLDER_MARK)) return [];
  return [{ path: ['run', 'command'], message: PLACEHOLDER_MESSAGE, target: 'value' }];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
