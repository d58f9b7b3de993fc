// Validates a parsed gantry.yaml value: the schema, then the cross-references, all issues at once.
import type { z } from 'zod';
import { describeKind, MISSING } from './fields.ts';
import { findReferenceIssues } from './references.ts';
import { findRuntimeIssues } from './runtime-rules.ts';
import { gantryConfigSchema } from './schema.ts';
import type { GantryConfig } from './types.ts';
import { expandZodIssues, type PathIssue } from './zod-issues.ts';

export type ValidationResult = { ok: true; config: GantryConfig } | { ok: false; issues: PathIssue[] };

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/** Messages for issues no schema part worded itself; fields.ts words nearly all of them. */
const describeIssue: z.core.$ZodErrorMap = (iss) => {
  if (iss.input === undefined && iss.code === 'invalid_type') return MISSING;
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${EXPECTED[iss.expected] ?? iss.expected}, got ${describeKind(iss.input)}`;
    case 'invalid_value':
      return `expected ${iss.values.map((v) => String(v)).join(' or ')}`;
    case 'too_small':
      return `expected at least ${iss.minimum}${iss.origin === 'array' ? ' items' : ''}`;
    case 'too_big':
      return `expected at most ${iss.maximum}${iss.origin === 'array' ? ' items' : ''}`;
    default:
      return undefined;
  }
};

const EMPTY_FILE =
  'the file is empty: a gantry.yaml needs at least `service:`, `run: { command: … }` and ' +
  '`environments:` with one environment that has `listen: host:port`';

export function validateConfigValue(raw: unknown): ValidationResult {
  if (raw === null || raw === undefined)
    return { ok: false, issues: [{ path: [], message: EMPTY_FILE, target: 'value' }] };
  const parsed = gantryConfigSchema.safeParse(raw, { error: describeIssue });
  const issues = [
    ...(parsed.success ? [] : expandZodIssues(parsed.error.issues)),
    ...findReferenceIssues(raw),
    ...findRuntimeIssues(raw),
  ];
  if (issues.length > 0 || !parsed.success) return { ok: false, issues };
  return { ok: true, config: parsed.data };
}
