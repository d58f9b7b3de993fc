// `checks:` run during canary steps, and the HTTP check shared with synthetics.
import { z } from 'zod';
import {
  DEFAULT_COMMAND_CHECK_TIMEOUT,
  DEFAULT_EXPECT_STATUS,
  DEFAULT_HTTP_CHECK_TIMEOUT,
  DEFAULT_HTTP_METHOD,
} from './defaults.ts';
import {
  duration,
  headerMap,
  httpPath,
  identifier,
  intIn,
  keyIssue,
  list,
  mapping,
  text,
  textMatching,
  whenFieldsValid,
} from './fields.ts';
import type { CheckConfig } from './types.ts';

export const httpCheckSchema = mapping({
  method: textMatching(/^[A-Z]+$/, 'expected an HTTP method in capitals, like GET or POST').default(
    DEFAULT_HTTP_METHOD,
  ),
  path: httpPath(),
  expect_status: intIn(100, 599).default(DEFAULT_EXPECT_STATUS),
  max_latency: duration().optional(),
  headers: headerMap().default({}),
});

const checkSchema = mapping({
  http: list(httpCheckSchema)
    .min(1, { error: 'expected at least one request' })
    .optional()
    .meta({ description: 'Requests sent to the new version; each must answer expect_status.' }),
  command: text('a shell command')
    .optional()
    .meta({ description: 'Run by /bin/sh -c with GANTRY_TARGET_URL set; exit 0 passes.' }),
  timeout: duration().optional(),
}).superRefine((check, ctx) => {
  if (check.http === undefined && check.command === undefined) {
    ctx.addIssue({ code: 'custom', message: 'set `http` (a list of requests) or `command`' });
  } else if (check.http !== undefined && check.command !== undefined) {
    ctx.addIssue(
      keyIssue(['command'], 'set only one of `http` or `command`; define two checks to have both'),
    );
  }
}, whenFieldsValid);

type CheckInput = z.output<typeof checkSchema>;

function buildCheck(name: string, check: CheckInput): CheckConfig {
  if (check.http) return { name, http: check.http, timeout: check.timeout ?? DEFAULT_HTTP_CHECK_TIMEOUT };
  return { name, command: check.command ?? '', timeout: check.timeout ?? DEFAULT_COMMAND_CHECK_TIMEOUT };
}

export const checksSchema = z
  .record(identifier('a check name'), checkSchema, {
    error: (iss) =>
      iss.input === undefined ? 'missing required key' : 'expected a mapping of check name: check',
  })
  .transform(
    (checks): Record<string, CheckConfig> =>
      Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, buildCheck(name, check)])),
  )
  .meta({ description: 'Named checks that canary steps run before they complete.' });
