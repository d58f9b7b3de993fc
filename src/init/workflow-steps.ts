// The stack-specific steps of the generated GitHub workflow: how to test, build the artifact and
// scan it, for a Node project, a Python project, or anything else. Each step is a list of lines
// indented for a job's `steps:` list.
import { GANTRY_PACKAGE, GANTRY_VERSION } from './package-info.ts';
import type { ProjectFacts } from './types.ts';

/** Pinned by major version; Dependabot (github-actions) keeps them current. */
export const ACTIONS = {
  checkout: 'actions/checkout@v6',
  setupNode: 'actions/setup-node@v6',
  setupPython: 'actions/setup-python@v6',
  uploadArtifact: 'actions/upload-artifact@v6',
  downloadArtifact: 'actions/download-artifact@v7',
  // trivy-action has no major-version tag (its releases are 0.x), and in March 2026 its tags were
  // force-pushed to malicious commits: pin the commit of a release known to be good.
  trivy: 'aquasecurity/trivy-action@57a97c7e7821a5776cebc9bb87c984fa69cba8f1',
  trivyRelease: '0.35.0',
} as const;

export const NODE_VERSION = '24';
export const PYTHON_VERSION = '3.12';

/** Where the build job leaves the artifact and the scan job the report (under $RUNNER_TEMP). */
export const ARTIFACT_FILE = 'app.tar.gz';
export const SCAN_FILE = 'scan.json';

type Step = string[];

/**
 * The version name a ref's build gets, the same convention as Gantry's GitHub webhook: the tag
 * name for a tag, the commit's first 12 characters for a branch.
 */
export const VERSION_SCRIPT = `if [ "$GITHUB_REF_TYPE" = tag ]; then version="$GITHUB_REF_NAME"; else version="\${GITHUB_SHA::12}"; fi`;

/**
 * The top of every generated workflow, through its `env:` block: pushes to main and v* tags, read-only
 * contents, one run per ref at a time, and the pinned Gantry CLI (plus `env`, lines of that block).
 */
export function workflowHead(env: string[]): string[] {
  return [
    'name: gantry',
    '',
    'on:',
    '  push:',
    '    branches: [main]',
    '    tags: ["v*"]',
    '',
    'permissions:',
    '  contents: read',
    '',
    '# One run per ref at a time; a newer push waits rather than cancel a release in flight.',
    'concurrency:',
    `  group: gantry-\${{ github.ref }}`,
    '  cancel-in-progress: false',
    '',
    'env:',
    `  GANTRY_CLI: ${GANTRY_PACKAGE}@${GANTRY_VERSION}`,
    ...env,
  ];
}

export function indent(lines: string[], by: number): string[] {
  const pad = ' '.repeat(by);
  return lines.map((line) => (line === '' ? '' : `${pad}${line}`));
}

export function job(name: string, head: string[], steps: string[][]): string[] {
  return [
    `  ${name}:`,
    ...indent(['runs-on: ubuntu-latest', ...head, 'steps:'], 4),
    ...indent(steps.filter((s) => s.length > 0).flat(), 6),
    '',
  ];
}

export function uploadStep(name: string, file: string): string[] {
  return [
    `- uses: ${ACTIONS.uploadArtifact}`,
    '  with:',
    `    name: ${name}`,
    `    path: \${{ runner.temp }}/${file}`,
    '    if-no-files-found: error',
    '    retention-days: 7',
  ];
}

const checkout: Step = [`- uses: ${ACTIONS.checkout}`];

function setupNode(cache: boolean): Step {
  return [
    `- uses: ${ACTIONS.setupNode}`,
    '  with:',
    `    node-version: ${NODE_VERSION}`,
    ...(cache ? ['    cache: npm'] : []),
  ];
}

function nodeInstall(facts: ProjectFacts): Step {
  return facts.node?.lockfile ? ['- run: npm ci'] : ['- run: npm install --no-audit --no-fund'];
}

function setupPython(facts: ProjectFacts): Step {
  const dependencyFile = facts.python?.requirements
    ? 'requirements.txt'
    : facts.python?.pyproject
      ? 'pyproject.toml'
      : undefined;
  return [
    `- uses: ${ACTIONS.setupPython}`,
    '  with:',
    `    python-version: "${PYTHON_VERSION}"`,
    ...(dependencyFile ? ['    cache: pip', `    cache-dependency-path: ${dependencyFile}`] : []),
  ];
}

function pythonInstall(facts: ProjectFacts): Step {
  if (facts.python?.requirements) return ['- run: python -m pip install -r requirements.txt'];
  if (facts.python?.pyproject) return ['- run: python -m pip install .'];
  return [];
}

export function testSteps(facts: ProjectFacts): Step[] {
  if (facts.stack === 'node') {
    const cache = Boolean(facts.node?.lockfile);
    const test: Step = facts.node?.testScript
      ? ['- run: npm test']
      : [
          '# package.json has no test script yet: add one, then run `npm test` here.',
          '- run: echo "no tests yet"',
        ];
    return [checkout, setupNode(cache), nodeInstall(facts), test];
  }
  if (facts.stack === 'python') {
    const test: Step = facts.python?.tests
      ? ['- run: python -m pip install pytest', '- run: python -m pytest']
      : ['# No tests were found: add them (pytest), then run them here.', '- run: python -m compileall -q .'];
    return [checkout, setupPython(facts), pythonInstall(facts), test];
  }
  return [checkout, ['# Replace with the command that runs your tests.', '- run: echo "no tests yet"']];
}

function packStep(excludes: string[]): Step {
  const flags = excludes.map((e) => `--exclude=${e}`).join(' ');
  return ['- name: Pack the artifact', `  run: tar ${flags} -czf "$RUNNER_TEMP/${ARTIFACT_FILE}" .`];
}

export function buildSteps(facts: ProjectFacts): Step[] {
  if (facts.stack === 'node') {
    return [
      checkout,
      setupNode(Boolean(facts.node?.lockfile)),
      nodeInstall(facts),
      ...(facts.node?.buildScript ? [['- run: npm run build']] : []),
      // The artifact runs as it is on the server: it carries its production dependencies.
      ['- name: Keep only production dependencies', '  run: npm prune --omit=dev'],
      packStep(['./.git', './.github']),
    ];
  }
  if (facts.stack === 'python') {
    return [
      checkout,
      [
        '# The artifact holds the source; the server provides the Python packages of',
        '# requirements.txt (e.g. Debian: python3-fastapi gunicorn python3-uvicorn).',
        ...packStep(['./.git', './.github', './.venv', '__pycache__']),
      ],
    ];
  }
  return [checkout, packStep(['./.git', './.github'])];
}

/** Scans the unpacked artifact; the report always goes to Gantry, whose `scan` policy decides. */
export function scanSteps(facts: ProjectFacts): Step[] {
  if (facts.stack === 'node') {
    return [
      setupNode(false),
      [
        '# npm audit exits non-zero when it finds something: that is for Gantry to judge, so only a',
        '# run that wrote no report fails here.',
        '- name: npm audit',
        `  working-directory: \${{ runner.temp }}/app`,
        `  run: npm audit --omit=dev --json > "$RUNNER_TEMP/${SCAN_FILE}" || test -s "$RUNNER_TEMP/${SCAN_FILE}"`,
      ],
    ];
  }
  return [
    [
      '- name: Trivy',
      `  uses: ${ACTIONS.trivy} # ${ACTIONS.trivyRelease}`,
      '  with:',
      '    scan-type: fs',
      `    scan-ref: \${{ runner.temp }}/app`,
      '    scanners: vuln',
      '    format: json',
      `    output: \${{ runner.temp }}/${SCAN_FILE}`,
      '    # Findings do not fail this job: Gantry judges the report against gantry.yaml.',
      '    exit-code: "0"',
    ],
  ];
}

export function scannerName(facts: ProjectFacts): string {
  return facts.stack === 'node' ? 'npm audit' : 'Trivy';
}
