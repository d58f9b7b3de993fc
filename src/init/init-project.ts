// `gantry init`: detect, render, check the result with the real config loader, then write —
// every file or none, and nothing over an existing file without --force.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, formatIssues, parseConfig } from '../config/index.ts';
import { detectProject, isServiceName } from './detect.ts';
import { DOCKERFILE, GUESSED_CONTAINER_PORT } from './dockerfile.ts';
import { schemaReference } from './package-info.ts';
import { renderConfig } from './render-config.ts';
import { renderWorkflow, WORKFLOW_FILE } from './render-workflow.ts';
import type {
  InitOptions,
  InitResult,
  InitRuntime,
  ProjectFacts,
  RuntimeChoice,
  WrittenFile,
} from './types.ts';

export const CONFIG_FILE = 'gantry.yaml';
/** Written into run.image and the workflow until the user names their registry. */
export const PLACEHOLDER_REGISTRY = 'registry.example.com';

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
  const choice = chooseRuntime(facts, opts.runtime);
  const planned: PlannedFile[] = [
    {
      path: CONFIG_FILE,
      what: `service ${facts.service}: ${describeRun(facts, choice)}`,
      text: renderConfig(facts, { schema: schemaReference(dir), scanGate: opts.ci !== undefined, choice }),
    },
  ];
  if (opts.ci === 'github') {
    planned.push({
      path: WORKFLOW_FILE,
      what:
        choice.runtime === 'docker'
          ? 'GitHub Actions: test → docker build → trivy image → push → release the image with Gantry'
          : 'GitHub Actions: test → build → scan → release with Gantry',
      text: renderWorkflow(facts, choice),
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
  return { dir, facts, choice, written, next: nextSteps(facts, opts, choice) };
}

/** Runtime docker when asked, or when the project has a Dockerfile; with it, the image and port. */
function chooseRuntime(facts: ProjectFacts, asked: InitRuntime | undefined): RuntimeChoice {
  const runtime = asked ?? (facts.dockerfile ? 'docker' : 'process');
  if (runtime === 'process') return { runtime };
  if (!facts.dockerfile) {
    facts.warnings.push(
      `no ${DOCKERFILE} here: write a multi-stage one whose last stage runs as a non-root user (see Gantry's examples/hello/Dockerfile and examples/fastapi/Dockerfile)`,
    );
  }
  const containerPort = facts.dockerfile?.exposedPort ?? GUESSED_CONTAINER_PORT[facts.stack];
  if (facts.dockerfile?.exposedPort === undefined) {
    facts.warnings.push(
      `no EXPOSE in ${DOCKERFILE}: guessed that the service listens on port ${containerPort} in the container, check run.port`,
    );
  }
  return { runtime, image: `${PLACEHOLDER_REGISTRY}/${facts.service}`, containerPort };
}

/** The generated file must load with the real loader; if it does not, that is Gantry's bug. */
function checkConfig(text: string, file: string): void {
  try {
    parseConfig(text, file);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new Error(
        `gantry init produced an invalid ${CONFIG_FILE} (please report this):\n${formatIssues(err.issues)}`,
      );
    }
    throw err;
  }
}

async function findExisting(dir: string, planned: PlannedFile[]): Promise<string[]> {
  const found: string[] = [];
  for (const file of planned) {
    if (await stat(path.join(dir, file.path)).catch(() => undefined)) found.push(file.path);
  }
  return found;
}

function describeRun(facts: ProjectFacts, choice: RuntimeChoice): string {
  const run =
    choice.runtime === 'docker'
      ? `image ${choice.image} (edit run.image), port ${choice.containerPort}`
      : facts.commandSource === 'none'
        ? 'placeholder command (edit run.command)'
        : `\`${facts.command}\``;
  const paths = [facts.health.liveness, facts.health.readiness].filter(
    (p, i, all) => p && all.indexOf(p) === i,
  );
  return `${run}, ${paths.length > 0 ? `health ${paths.join(' and ')}` : 'no health endpoint'}`;
}

function nextSteps(facts: ProjectFacts, opts: InitOptions, choice: RuntimeChoice): string[] {
  const steps: string[] = [];
  if (choice.runtime === 'docker') {
    steps.push(`Set run.image in ${CONFIG_FILE} to your registry's repository.`);
    steps.push(`Check ${CONFIG_FILE}, then: gantry validate`);
    steps.push(
      `Try it locally: docker build -t ${choice.image}:dev . && docker push ${choice.image}:dev, gantry server, then gantry deploy --env staging --version dev --wait`,
    );
  } else {
    if (facts.commandSource === 'none') steps.push(`Set run.command in ${CONFIG_FILE}.`);
    steps.push(`Check ${CONFIG_FILE}, then: gantry validate`);
    steps.push(
      'Try it locally: gantry server (then, in another shell) gantry deploy --env staging --version dev --artifact . --wait',
    );
  }
  if (opts.ci === 'github' && choice.runtime === 'docker') {
    steps.push(
      `In the workflow, set IMAGE to the same repository as run.image; add the repository secrets REGISTRY_USERNAME and REGISTRY_PASSWORD for \`docker login\` (or replace that step with your registry's login action, e.g. ECR's).`,
    );
  }
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
