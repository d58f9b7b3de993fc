// Turns zod's issues into one issue per problem, each with a path into the YAML and a target.
import type { z } from 'zod';
import type { IssueTarget } from './positions.ts';

export interface PathIssue {
  path: PropertyKey[];
  message: string;
  target: IssueTarget;
}

type ZodIssue = z.core.$ZodIssue;

/** A union branch that refused the value's kind outright (a string where it wanted a mapping). */
function rejectsKind(branch: ZodIssue[]): boolean {
  return branch.some(
    (issue) => issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value'),
  );
}

function expandOne(issue: ZodIssue, prefix: PropertyKey[]): PathIssue[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys': {
      // fields.ts `mapping` wrote one message line per key, in the order of `keys`.
      const lines = issue.message.split('\n');
      return issue.keys.map((key, i) => ({
        path: [...path, key],
        message: lines[i] ?? `unknown key '${key}'`,
        target: 'key' as const,
      }));
    }
    case 'invalid_key':
      return [{ path, message: issue.issues[0]?.message ?? issue.message, target: 'key' }];
    case 'invalid_union': {
      // When exactly one branch accepted the value's kind, its complaints are the useful ones.
      const candidates = issue.errors.filter((branch) => branch.length > 0 && !rejectsKind(branch));
      const [only] = candidates;
      if (candidates.length === 1 && only) return only.flatMap((inner) => expandOne(inner, path));
      return [{ path, message: issue.message, target: 'value' }];
    }
    case 'custom': {
      const target: IssueTarget = issue.params?.target === 'key' ? 'key' : 'value';
      return [{ path, message: issue.message, target }];
    }
    default:
      return [{ path, message: issue.message, target: 'value' }];
  }
}

export function expandZodIssues(issues: readonly ZodIssue[]): PathIssue[] {
  const out: PathIssue[] = [];
  const seen = new Set<string>();
  for (const issue of issues.flatMap((i) => expandOne(i, []))) {
    const key = JSON.stringify([issue.path.map(String), issue.message, issue.target]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}
