// Reads gantry.yaml: YAML with positions, then validation; every problem becomes a ConfigIssue
// with the line and column of the node it is about.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Document, isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { findDuplicateKeys } from './duplicate-keys.ts';
import { normalizeHostName } from './host-names.ts';
import { ConfigError, type ConfigIssue, compareIssues, formatPath } from './issues.ts';
import { findListenerConflicts, type ListenerConflict, listenerClaimsOf } from './listener-claims.ts';
import { findPosition } from './positions.ts';
import type { LoadedConfig } from './types.ts';
import { validateConfigValue } from './validate.ts';
import type { PathIssue } from './zod-issues.ts';

const MAX_ALIAS_COUNT = 100;
/**
 * Largest gantry.yaml read (a real one is a few KB): a larger file is refused before it is parsed.
 * Documented in docs/security.md.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Problems reported per file: each is placed in the file, and a file of 40,000 bad keys would take long. */
export const MAX_REPORTED_ISSUES = 100;

/** Throws the issues in file order, at most MAX_REPORTED_ISSUES of them, then how many more there were. */
function throwIssues(issues: ConfigIssue[], more = 0): never {
  const listed = [...issues].sort(compareIssues).slice(0, MAX_REPORTED_ISSUES);
  const left = more + issues.length - listed.length;
  const file = issues[0]?.file ?? '';
  const tail =
    left > 0 ? [{ file, line: 0, column: 0, path: '', message: `and ${left} more problems not listed` }] : [];
  throw new ConfigError([...listed, ...tail]);
}

/** Parses and validates the text of a gantry.yaml; `file` is only used in messages and `dir`. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  // Duplicate keys are found in one linear pass below (the parser's own check is quadratic).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const syntax: ConfigIssue[] = doc.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return { file, line, column: col, path: '', message: `invalid YAML: ${error.message}` };
  });
  for (const d of findDuplicateKeys(doc, lineCounter)) {
    syntax.push({ file, ...d, path: '', message: 'invalid YAML: Map keys must be unique' });
  }
  if (syntax.length > 0) throwIssues(syntax);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throwIssues([
      { file, line: 1, column: 1, path: '', message: `invalid YAML: ${(error as Error).message}` },
    ]);
  }
  const result = validateConfigValue(raw);
  const lines = listenLines(doc, lineCounter);
  const lineOf = (at: readonly PropertyKey[]) =>
    lines.get(String(at[1])) ?? findPosition(doc, lineCounter, at, 'value').line;
  const listeners = listenerClaimsOf(raw, file, lineOf);
  const shared = findListenerConflicts(listeners).map(sharingIssue);
  const found = [...(result.ok ? [] : result.issues), ...shared];
  if (!result.ok || found.length > 0) {
    const issues: ConfigIssue[] = found.slice(0, MAX_REPORTED_ISSUES).map((issue) => ({
      file,
      ...findPosition(doc, lineCounter, issue.path, issue.target),
      path: formatPath(issue.path),
      message: issue.message,
    }));
    throwIssues(issues, found.length - issues.length);
  }
  return { file, dir: path.dirname(path.resolve(file)), config: result.config, listeners };
}

/**
 * The line of each environment's `listen` value, in one pass (finding each path from the top
 * would cost the number of environments for each of them).
 */
function listenLines(doc: Document, lineCounter: LineCounter): Map<string, number> {
  const lines = new Map<string, number>();
  const environments = doc.get('environments', true);
  if (!isMap(environments)) return lines;
  for (const pair of environments.items) {
    const env = pair.value;
    if (!isScalar(pair.key) || !isMap(env)) continue;
    const listen = env.items.find((p) => isScalar(p.key) && p.key.value === 'listen');
    const offset = (listen?.value as Node | null | undefined)?.range?.[0];
    if (offset !== undefined) lines.set(String(pair.key.value), lineCounter.linePos(offset).line);
  }
  return lines;
}

/** A clash of listeners, placed at the host both name or else at the later `listen`. */
function sharingIssue(c: ListenerConflict): PathIssue {
  const env = ['environments', c.claim.environment];
  const index =
    c.host === undefined ? -1 : (c.claim.hosts ?? []).findIndex((h) => normalizeHostName(h) === c.host);
  return {
    path: index < 0 ? [...env, 'listen'] : [...env, 'hosts', index],
    message: c.message,
    target: 'value',
  };
}

function describeReadError(file: string, error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') {
    return (
      `no such file. Create ${file} (a minimal one: \`service: my-app\`, \`run: { command: node server.js }\`, ` +
      '`environments: { staging: { listen: 127.0.0.1:8081 } }`) or pass --config PATH'
    );
  }
  if (error.code === 'EISDIR') return `is a directory: pass the path of the gantry.yaml file inside it`;
  if (error.code === 'EACCES') return 'permission denied: make the file readable by the user running gantry';
  return `cannot be read (${error.code ?? error.message})`;
}

/** Reads, parses and validates a gantry.yaml file. Throws ConfigError listing every problem. */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_CONFIG_BYTES) {
      throwIssues([
        {
          file,
          line: 0,
          column: 0,
          path: '',
          message: `is ${size} bytes, above the ${MAX_CONFIG_BYTES / 1024 / 1024} MiB a gantry.yaml may have: a service's config is a few KB`,
        },
      ]);
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throwIssues([
      {
        file,
        line: 0,
        column: 0,
        path: '',
        message: describeReadError(file, error as NodeJS.ErrnoException),
      },
    ]);
  }
  return parseConfig(text, file);
}
