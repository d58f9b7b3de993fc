// Telling people: `notify:` channel groups, the `smtp:` server for email, `incidents:`, and the
// `triggers:` that start releases. Secret fields here may hold `${secret:NAME}` references.
import { z } from 'zod';
import {
  DEFAULT_INCIDENT_OPEN_AT,
  DEFAULT_SMTP_PORT,
  DEFAULT_WEBHOOK_MAX_BODY,
  MAX_WEBHOOK_MAX_BODY,
  SMTP_IMPLICIT_TLS_PORT,
} from './defaults.ts';
import {
  bool,
  duration,
  enumOf,
  expecting,
  headerMap,
  identifier,
  intIn,
  keyIssue,
  list,
  mapping,
  secretText,
  size,
  text,
  textMatching,
  whenFieldsValid,
} from './fields.ts';
import { SEVERITIES } from './schema-monitoring.ts';
import { hasSecretReference } from './secret-refs.ts';
import { suggest } from './suggest.ts';
import type { SmtpConfig } from './types.ts';
import { formatSize } from './units.ts';

const EMAIL = /^[^@\s<>]+@[^@\s<>]+$/;
const FROM_ADDRESS = /^([^<>]*<[^@\s<>]+@[^@\s<>]+>|[^@\s<>]+@[^@\s<>]+)$/;

function emailAddress() {
  return textMatching(EMAIL, 'expected an email address, like ops@example.com');
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'https:' || protocol === 'http:';
}

/** A literal http(s) URL that is not a secret. */
function httpUrl() {
  return text('a URL').refine(isHttpUrl, { error: 'expected an http(s) URL' });
}

/** A URL that is a secret: either a secret reference or a literal http(s) URL. */
function secretUrl() {
  return secretText('a URL').refine((value) => hasSecretReference(value) || isHttpUrl(value), {
    error: `expected an http(s) URL or a secret reference like \${secret:NAME}`,
  });
}

const CHANNEL_TYPES = ['email', 'slack', 'pagerduty', 'webhook', 'sns'] as const;

export const channelSchema = z.discriminatedUnion(
  'type',
  [
    mapping({
      type: z.literal('email'),
      to: z.union([emailAddress(), list(emailAddress()).min(1)], {
        error: expecting('expected an email address or a list of them'),
      }),
    }),
    mapping({
      type: z.literal('slack'),
      webhook_url: secretUrl(),
      channel: text('a channel name').optional(),
    }),
    mapping({
      type: z.literal('pagerduty'),
      routing_key: secretText('a routing key'),
      url: httpUrl()
        .optional()
        .meta({ description: 'Events API v2 endpoint (default https://events.pagerduty.com/v2/enqueue).' }),
    }),
    mapping({
      type: z.literal('webhook'),
      url: secretUrl(),
      secret: secretText('a signing secret')
        .optional()
        .meta({ description: 'HMAC-SHA256 key for the signature header.' }),
      headers: headerMap({ secret: true }).default({}),
    }),
    mapping({
      type: z.literal('sns'),
      topic_arn: textMatching(
        /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/,
        'expected an SNS topic ARN',
      ),
      region: textMatching(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region, like us-east-1').optional(),
      endpoint: httpUrl()
        .optional()
        .meta({ description: "SNS endpoint override (e.g. a VPC endpoint); default: the region's." }),
    }),
  ],
  {
    error: (iss) => {
      const input = iss.input;
      if (input === undefined) return 'missing required key';
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return 'expected a mapping with a `type`';
      const type = (input as { type?: unknown }).type;
      if (type === undefined) return `missing required key: set type to one of ${CHANNEL_TYPES.join(', ')}`;
      const hint = typeof type === 'string' ? suggest(type, CHANNEL_TYPES) : '';
      return `expected one of ${CHANNEL_TYPES.join(', ')}${hint}`;
    },
  },
);

export const notifySchema = z
  .record(
    identifier('a notify group name'),
    list(channelSchema).min(1, { error: 'expected at least one channel' }),
    {
      error: expecting('expected a mapping of group name: list of channels'),
    },
  )
  .meta({
    description: 'Named groups of channels that alarms notify (email, slack, pagerduty, webhook, sns).',
  });

export const smtpSchema = mapping({
  host: text('a host name'),
  port: intIn(1, 65535).default(DEFAULT_SMTP_PORT),
  secure: bool().optional().meta({ description: 'TLS from the first byte; true by default on port 465.' }),
  starttls: bool().optional().meta({ description: 'Upgrade with STARTTLS; true by default unless secure.' }),
  user: text('a user name').optional(),
  password: secretText('a password').optional(),
  from: textMatching(FROM_ADDRESS, 'expected a sender address, like "Gantry <gantry@example.com>"'),
})
  .superRefine((smtp, ctx) => {
    if (smtp.password !== undefined && smtp.user === undefined) {
      ctx.addIssue(keyIssue(['password'], 'a password needs a `user`'));
    }
    if (smtp.secure === true && smtp.starttls === true) {
      ctx.addIssue(
        keyIssue(
          ['starttls'],
          'starttls upgrades a plain connection: it cannot be combined with secure: true',
        ),
      );
    }
  }, whenFieldsValid)
  .transform((smtp): SmtpConfig => {
    const secure = smtp.secure ?? smtp.port === SMTP_IMPLICIT_TLS_PORT;
    return {
      host: smtp.host,
      port: smtp.port,
      secure,
      starttls: smtp.starttls ?? !secure,
      user: smtp.user,
      password: smtp.password,
      from: smtp.from,
    };
  })
  .meta({ description: 'The mail server email channels send through.' });

export const triggersSchema = mapping({
  github: mapping({
    secret: secretText('a webhook secret').meta({
      description: `Webhook secret, e.g. \${secret:GITHUB_WEBHOOK_SECRET}.`,
    }),
    max_body: size()
      .refine((n) => n >= 1024 && n <= MAX_WEBHOOK_MAX_BODY, {
        error: `expected a size from 1KB to ${formatSize(MAX_WEBHOOK_MAX_BODY)} (GitHub sends nothing larger)`,
      })
      .prefault(formatSize(DEFAULT_WEBHOOK_MAX_BODY))
      .meta({
        description:
          'Largest delivery read; a larger one is refused with 413 as soon as it passes this size (signature checked as it streams).',
      }),
  })
    .optional()
    .meta({ description: 'GitHub push webhook at POST /api/v1/hooks/github.' }),
}).meta({ description: 'What may start a release besides the CLI.' });

const target = z
  .union([z.literal('none'), duration()], {
    error: expecting('expected a duration like 15m or 1h, or none'),
  })
  .transform((v) => (v === 'none' ? null : v));

export const incidentsSchema = mapping({
  open_at: enumOf(SEVERITIES)
    .default(DEFAULT_INCIDENT_OPEN_AT)
    .meta({ description: 'Alarms of this severity or worse open (or join) an incident.' }),
  respond_within: mapping({
    P1: target.prefault('15m'),
    P2: target.prefault('15m'),
    P3: target.prefault('1h'),
    P4: target.prefault('none'),
  })
    .optional()
    .meta({
      description:
        "Time to acknowledge an incident of each severity (none: no target); a missed one fires the alarm incident:response. `{}` takes the guide's: P1 15m, P2 15m, P3 1h, P4 none (docs/oncall.md).",
    }),
  notify: list(identifier('a notify group name'))
    .default([])
    .meta({ description: 'Groups from `notify:` told when an incident misses its response target.' }),
});
