// Reads gantry.yaml: YAML with positions, then validation; every problem becomes a ConfigIssue
// with the line and column of the node it is about.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue, compareIssues, formatPath } from './issues.ts';
import { findPosition } from './positions.ts';
import type { LoadedConfig } from './types.ts';
import { validateConfigValue } from './validate.ts';

const MAX_ALIAS_COUNT = 100;

function throwIssues(issues: ConfigIssue[]): never {
  throw new ConfigError([...issues].sort(compareIssues));
}

/** Parses and validates the text of a gantry.yaml; `file` is only used in messages and `dir`. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    throwIssues(
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { file, line, column: col, path: '', message: `invalid YAML: ${error.message}` };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throwIssues([
      { file, line: 1, column: 1, path: '', message: `invalid YAML: ${(error as Error).message}` },
    ]);
  }
  const result = validateConfigValue(raw);
  if (!result.ok) {
    throwIssues(
      result.issues.map((issue) => ({
        file,
        ...findPosition(doc, lineCounter, issue.path, issue.target),
        path: formatPath(issue.path),
        message: issue.message,
      })),
    );
  }
  return { file, dir: path.dirname(path.resolve(file)), config: result.config };
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
    text = await readFile(file, 'utf8');
  } catch (error) {
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
