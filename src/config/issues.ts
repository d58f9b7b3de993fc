// What is wrong with a config file, where, and how it reads: `gantry.yaml:12:7 path: message`.
import { GantryError } from '../lib/errors.ts';

export interface ConfigIssue {
  /** The file path as given by the caller. */
  file: string;
  /** 1-based; 0 when the problem is the file itself (e.g. it does not exist). */
  line: number;
  column: number;
  /** Dotted path of the offending key, like `environments.production.listen`; '' for the whole file. */
  path: string;
  message: string;
}

/** A config file that cannot be used, with every problem found in it (sorted by position). */
export class ConfigError extends GantryError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super('CONFIG_INVALID', formatIssues(issues), { details: { issues } });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `environments.production.strategy.canary.steps[1].weight`; odd keys are quoted: `headers["a.b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (!PLAIN_KEY.test(key)) out += `[${JSON.stringify(key)}]`;
      else out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : `${issue.file}:`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/** One line per issue. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map(formatIssue).join('\n');
}

export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  return (
    a.line - b.line ||
    a.column - b.column ||
    a.path.localeCompare(b.path) ||
    a.message.localeCompare(b.message)
  );
}
