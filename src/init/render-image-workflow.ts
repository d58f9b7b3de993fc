// The GitHub Actions workflow for runtime docker (the seeds' pipeline): test →
// `docker build` of the multi-stage Dockerfile → `trivy image` JSON report → push to the registry →
// `gantry release --image REPO@sha256:… --scan report.json`. Gantry pulls exactly the digest that
// was scanned and pushed, and every later promote or rollback runs those bytes.
import type { ProjectFacts, RuntimeChoice } from './types.ts';
import {
  ACTIONS,
  job,
  NODE_VERSION,
  SCAN_FILE,
  testSteps,
  uploadStep,
  VERSION_SCRIPT,
  workflowHead,
} from './workflow-steps.ts';

export function renderImageWorkflow(facts: ProjectFacts, choice: RuntimeChoice): string {
  const lines = [
    '# Written by `gantry init --ci github` for a project with a Dockerfile: test → docker build →',
    '# trivy image (a JSON report) → push to the registry → `gantry release --image REPO@sha256:…',
    '# --scan report.json`. Gantry picks the environment from the ref with the `track` rules of',
    '# gantry.yaml (main → staging, v* tags → production), pulls exactly the digest built here, and',
    '# keeps it with the version: promote and rollback run the same bytes.',
    '#',
    '# Once, in GitHub → Settings:',
    '# - Environments "staging" and "production", each with the secrets GANTRY_URL (the server) and',
    '#   GANTRY_TOKEN (`gantry tokens create --role deployer --env staging`, and one for production).',
    '# - Repository secrets REGISTRY_USERNAME and REGISTRY_PASSWORD for `docker login` to the registry',
    '#   of IMAGE below. Amazon ECR: replace the login line with aws-actions/configure-aws-credentials',
    '#   and aws-actions/amazon-ecr-login steps.',
    ...workflowHead([
      '  # The repository of run.image in gantry.yaml: keep the two the same.',
      `  IMAGE: ${choice.image}`,
    ]),
    '',
    'jobs:',
    ...job('test', ['timeout-minutes: 30'], testSteps(facts)),
    ...job(
      'image',
      [
        'needs: test',
        'timeout-minutes: 30',
        'outputs:',
        `  version: \${{ steps.version.outputs.version }}`,
        `  image: \${{ steps.push.outputs.image }}`,
      ],
      imageSteps(),
    ),
    ...job(
      'release',
      [
        'needs: image',
        'timeout-minutes: 60',
        `environment: \${{ github.ref_type == 'tag' && 'production' || 'staging' }}`,
      ],
      [
        [
          `- uses: ${ACTIONS.downloadArtifact}`,
          '  with:',
          '    name: scan',
          `    path: \${{ runner.temp }}/release`,
          `- uses: ${ACTIONS.setupNode}`,
          '  with:',
          `    node-version: ${NODE_VERSION}`,
          '- run: npm install --global "$GANTRY_CLI"',
          '- name: Release the image (Trivy report attached)',
          '  env:',
          `    GANTRY_URL: \${{ secrets.GANTRY_URL }}`,
          `    GANTRY_TOKEN: \${{ secrets.GANTRY_TOKEN }}`,
          `    VERSION: \${{ needs.image.outputs.version }}`,
          `    IMAGE_REF: \${{ needs.image.outputs.image }}`,
          '  run: |',
          '    gantry release --ref "$GITHUB_REF" --version "$VERSION" \\',
          `      --image "$IMAGE_REF" --scan "$RUNNER_TEMP/release/${SCAN_FILE}" --wait`,
        ],
      ],
    ),
  ];
  while (lines.at(-1) === '') lines.pop();
  return `${lines.join('\n')}\n`;
}

function imageSteps(): string[][] {
  const version = `\${{ steps.version.outputs.version }}`;
  return [
    [`- uses: ${ACTIONS.checkout}`],
    [
      "- name: Version name (the tag, or the commit's first 12 characters)",
      '  id: version',
      '  run: |',
      `    ${VERSION_SCRIPT}`,
      '    echo "version=$version" >> "$GITHUB_OUTPUT"',
    ],
    [
      '- name: Build the image (multi-stage Dockerfile)',
      '  env:',
      `    VERSION: ${version}`,
      '  run: docker build --pull --tag "$IMAGE:$VERSION" .',
    ],
    [
      '- name: Trivy (the image, before it is pushed)',
      `  uses: ${ACTIONS.trivy} # ${ACTIONS.trivyRelease}`,
      '  with:',
      '    scan-type: image',
      `    image-ref: \${{ env.IMAGE }}:${version}`,
      '    scanners: vuln',
      '    format: json',
      `    output: \${{ runner.temp }}/${SCAN_FILE}`,
      '    # Findings do not fail this job: Gantry judges the report against gantry.yaml.',
      '    exit-code: "0"',
    ],
    uploadStep('scan', SCAN_FILE),
    [
      '- name: Push to the registry, and name the pushed digest',
      '  id: push',
      '  env:',
      `    VERSION: ${version}`,
      `    REGISTRY_USERNAME: \${{ secrets.REGISTRY_USERNAME }}`,
      `    REGISTRY_PASSWORD: \${{ secrets.REGISTRY_PASSWORD }}`,
      '  run: |',
      `    printf '%s' "$REGISTRY_PASSWORD" | docker login "\${IMAGE%%/*}" --username "$REGISTRY_USERNAME" --password-stdin`,
      '    docker push "$IMAGE:$VERSION"',
      `    echo "image=$(docker image inspect --format '{{index .RepoDigests 0}}' "$IMAGE:$VERSION")" >> "$GITHUB_OUTPUT"`,
    ],
  ];
}
