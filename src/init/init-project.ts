// `gantry init`: detect, render, check the result with the real config loader, then write —
// every file or none, and nothing over an existing file without --force.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, formatIssues, PLACEHOLDER_MESSAGE, parseConfig } from '../config/index.ts';
import { detectProject, isServiceName } from './detect.ts';
import { schemaReference } from './package-info.ts';
import { renderConfig } from './render-config.ts';
import { renderWorkflow, WORKFLOW_FILE } from './render-workflow.ts';
import type { InitOptions, InitResult, ProjectFacts, WrittenFile } from './types.ts';

export const CONFIG_FILE = 'gantry.yaml';

/** A problem the user can fix (an existing file, a bad name): exit 2 with the hint. */
export class InitError extends Error {
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message);
    this.name = 'InitError';
    this.hint = hint;
  }
}

interface PlannedFile {
  path: string;
  what: string;
  text: string;
}

export async function initProject(opts: InitOptions): Promise<InitResult> {
  const dir = path.resolve(opts.dir);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new InitError(
      `not a directory: ${opts.dir}`,
      'Run gantry init in the project directory, or pass --dir DIR.',
    );
  }
  if (opts.service !== undefined && !isServiceName(opts.service)) {
    throw new InitError(
      `invalid service name '${opts.service}': lowercase letters, digits and dashes, starting with a letter`,
      'Pass --service like shop-api.',
    );
  }
  const facts = await detectProject(dir, opts.service);
  const planned: PlannedFile[] = [
    {
      path: CONFIG_FILE,
      what: `service ${facts.service}: ${describeRun(facts)}`,
      text: renderConfig(facts, {
        schema: schemaReference(dir, opts.schema, opts.serverUrl),
        scanGate: opts.ci !== undefined,
      }),
    },
  ];
  if (opts.ci === 'github') {
    planned.push({
      path: WORKFLOW_FILE,
      what: 'GitHub Actions: test → build → scan → release with Gantry',
      text: renderWorkflow(facts),
    });
  }
  checkConfig(planned[0]?.text ?? '', path.join(dir, CONFIG_FILE));

  const existing = await findExisting(dir, planned);
  if (existing.length > 0 && !opts.force) {
    throw new InitError(
      `${existing.join(' and ')} already ${existing.length === 1 ? 'exists' : 'exist'}: nothing was written`,
      'Pass --force to overwrite, or move the file away first.',
    );
  }
  const written: WrittenFile[] = [];
  for (const file of planned) {
    const target = path.join(dir, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.text);
    written.push({ path: file.path, what: file.what, replaced: existing.includes(file.path) });
  }
  return { dir, facts, written, next: nextSteps(facts, opts) };
}

/**
 * The generated file must load with the real loader, the placeholder command aside (that one is
 * refused on purpose, until the user replaces it); anything else is Gantry's bug.
 */
function checkConfig(text: string, file: string): void {
  try {
    parseConfig(text, file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const issues = err.issues.filter((issue) => issue.message !== PLACEHOLDER_MESSAGE);
    if (issues.length > 0) {
      throw new Error(
        `gantry init produced an invalid ${CONFIG_FILE} (please report this):\n${formatIssues(issues)}`,
      );
    }
  }
}

async function findExisting(dir: string, planned: PlannedFile[]): Promise<string[]> {
  const found: string[] = [];
  for (const file of planned) {
    if (await stat(path.join(dir, file.path)).catch(() => undefined)) found.push(file.path);
  }
  return found;
}

function describeRun(facts: ProjectFacts): string {
  const run =
    facts.commandSource === 'none' ? 'placeholder command (edit run.command)' : `\`${facts.command}\``;
  const paths = [facts.health.liveness, facts.health.readiness].filter(
    (p, i, all) => p && all.indexOf(p) === i,
  );
  return `${run}, ${paths.length > 0 ? `health ${paths.join(' and ')}` : 'no health endpoint'}`;
}

function nextSteps(facts: ProjectFacts, opts: InitOptions): string[] {
  const steps: string[] = [];
  if (facts.commandSource === 'none') steps.push(`Set run.command in ${CONFIG_FILE}.`);
  steps.push(`Check ${CONFIG_FILE}, then: gantry validate`);
  steps.push(
    'Try it locally: gantry server (then, in another shell) gantry deploy --env staging --version dev --artifact . --wait',
  );
  if (opts.ci === 'github') {
    steps.push(
      'In GitHub → Settings → Environments, create "staging" and "production", each with the secrets GANTRY_URL and GANTRY_TOKEN (gantry tokens create --role deployer --env staging, and one for production).',
    );
    steps.push(
      `Commit ${CONFIG_FILE} and ${WORKFLOW_FILE}; a push to main then releases to staging, a v* tag to production.`,
    );
  }
  return steps;
}
