// `slos:` in gantry.yaml: defaults, and the errors a wrong SLO gets.
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue, parseConfig } from '../src/config/index.ts';

const HEAD = `service: hello
run: { command: node server.js }
environments:
  production: { listen: 127.0.0.1:8081 }
`;

function problemsOf(yaml: string): string[] {
  try {
    parseConfig(yaml, 'gantry.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map(formatIssue);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('slos in gantry.yaml', () => {
  it('reads availability and latency SLOs, with a 30-day window by default', () => {
    const { config } = parseConfig(
      `${HEAD}slos:
  - { name: availability, environment: production, objective: 99.95% }
  - { name: latency, environment: production, objective: 99%, threshold: 500ms, window: 7d }
`,
      'gantry.yaml',
    );
    expect(config.slos).toEqual([
      {
        name: 'availability',
        environment: 'production',
        objective: 0.9995,
        window: 30 * 86_400_000,
        notify: [],
      },
      {
        name: 'latency',
        environment: 'production',
        objective: 0.99,
        threshold: 500,
        window: 7 * 86_400_000,
        notify: [],
      },
    ]);
    expect(parseConfig(HEAD, 'gantry.yaml').config.slos).toEqual([]);
  });

  it('names what is wrong: 100 %, a window longer than rollups are kept, an unknown environment, twins', () => {
    const problems = problemsOf(`${HEAD}slos:
  - { name: a, environment: production, objective: 100% }
  - { name: b, environment: production, objective: 99%, window: 60d }
  - { name: c, environment: prod, objective: 99% }
  - { name: c, environment: production, objective: 99% }
`);
    expect(problems.join('\n')).toContain('slos[0].objective: expected an objective above 0% and below 100%');
    expect(problems.join('\n')).toContain('slos[1].window: expected a window from 6d to 30d');
    expect(problems.join('\n')).toMatch(/slos\[2\]\.environment: .*prod/);
    expect(problems.join('\n')).toMatch(/slos\[3\]\.name: .*c/);
  });
});
