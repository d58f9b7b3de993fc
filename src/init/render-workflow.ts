// The GitHub Actions workflow `gantry init --ci github` writes: test → build artifact → scan →
// upload and `gantry release --ref "$GITHUB_REF"`, the deploy job alone holding the Gantry secrets
// (from the GitHub environment the ref picks).
import { renderImageWorkflow } from './render-image-workflow.ts';
import type { ProjectFacts, RuntimeChoice } from './types.ts';
import {
  ACTIONS,
  ARTIFACT_FILE,
  buildSteps,
  job,
  NODE_VERSION,
  SCAN_FILE,
  scannerName,
  scanSteps,
  testSteps,
  uploadStep,
  VERSION_SCRIPT,
  workflowHead,
} from './workflow-steps.ts';

export { VERSION_SCRIPT } from './workflow-steps.ts';

export const WORKFLOW_FILE = '.github/workflows/gantry.yml';

export function renderWorkflow(facts: ProjectFacts, choice: RuntimeChoice = { runtime: 'process' }): string {
  if (choice.runtime === 'docker') return renderImageWorkflow(facts, choice);
  const lines = [
    '# Written by `gantry init --ci github`: test → build the artifact → scan it → upload it to Gantry',
    '# and release it. Gantry picks the environment from the ref with the `track` rules of gantry.yaml',
    '# (main → staging, v* tags → production) and says which; the job below uses the GitHub environment',
    '# of the same name for its secrets, so keep the two in step if you change the rules.',
    '#',
    '# Once, in GitHub → Settings → Environments: create "staging" and "production", each with the',
    '# secrets GANTRY_URL (the server, e.g. https://gantry.example.com) and GANTRY_TOKEN (a token made',
    '# by `gantry tokens create --role deployer --env staging`, and one for production). Required',
    '# reviewers on "production" make a tag release a deliberate act.',
    ...workflowHead([]),
    '',
    'jobs:',
    ...job('test', ['timeout-minutes: 30'], testSteps(facts)),
    ...job(
      'build',
      ['needs: test', 'timeout-minutes: 30'],
      [...buildSteps(facts), uploadStep('app', ARTIFACT_FILE)],
    ),
    ...job(
      'scan',
      ['needs: build', 'timeout-minutes: 15'],
      [
        [
          `- uses: ${ACTIONS.downloadArtifact}`,
          '  with:',
          '    name: app',
          `    path: \${{ runner.temp }}`,
          '- name: Unpack the artifact',
          `  run: mkdir "$RUNNER_TEMP/app" && tar -xzf "$RUNNER_TEMP/${ARTIFACT_FILE}" -C "$RUNNER_TEMP/app"`,
        ],
        ...scanSteps(facts),
        uploadStep('scan', SCAN_FILE),
      ],
    ),
    ...job(
      'release',
      [
        'needs: [build, scan]',
        'timeout-minutes: 60',
        `environment: \${{ github.ref_type == 'tag' && 'production' || 'staging' }}`,
      ],
      [
        [
          `- uses: ${ACTIONS.downloadArtifact}`,
          '  with:',
          `    path: \${{ runner.temp }}/release`,
          '    merge-multiple: true',
          `- uses: ${ACTIONS.setupNode}`,
          '  with:',
          `    node-version: ${NODE_VERSION}`,
          '- run: npm install --global "$GANTRY_CLI"',
          `- name: Upload and release (${scannerName(facts)} report attached)`,
          '  env:',
          `    GANTRY_URL: \${{ secrets.GANTRY_URL }}`,
          `    GANTRY_TOKEN: \${{ secrets.GANTRY_TOKEN }}`,
          '  run: |',
          `    ${VERSION_SCRIPT}`,
          '    gantry release --ref "$GITHUB_REF" --version "$version" \\',
          `      --artifact "$RUNNER_TEMP/release/${ARTIFACT_FILE}" --scan "$RUNNER_TEMP/release/${SCAN_FILE}" --wait`,
        ],
      ],
    ),
  ];
  while (lines.at(-1) === '') lines.pop();
  return `${lines.join('\n')}\n`;
}
