// The whole gantry.yaml as one zod schema. Its output is exactly GantryConfig (checked
// below at compile time); its input side is what users write and what the JSON Schema describes.
// Rules that relate one part of the file to another (names that must exist, unique listeners)
// live in references.ts, which runs on the same input.
import type { z } from 'zod';
import { dnsName, mapping } from './fields.ts';
import { backupsSchema } from './schema-backups.ts';
import { checksSchema } from './schema-checks.ts';
import { environmentsSchema } from './schema-environment.ts';
import { alarmsSchema, logsSchema, syntheticsSchema } from './schema-monitoring.ts';
import { incidentsSchema, notifySchema, smtpSchema, triggersSchema } from './schema-notify.ts';
import { oncallSchema } from './schema-oncall.ts';
import { healthSchema, runSchema } from './schema-run.ts';
import { runtimeSchema } from './schema-runtime.ts';
import { slosSchema } from './schema-slo.ts';
import type { GantryConfig } from './types.ts';

export const gantryConfigSchema = mapping({
  service: dnsName('a service name').meta({ description: 'Name of the service, like shop-api.' }),
  runtime: runtimeSchema.prefault('process'),
  run: runSchema,
  health: healthSchema.prefault({}),
  environments: environmentsSchema,
  checks: checksSchema.prefault({}),
  alarms: alarmsSchema.prefault([]),
  synthetics: syntheticsSchema.prefault([]),
  logs: logsSchema.prefault({}),
  triggers: triggersSchema.prefault({}),
  smtp: smtpSchema.optional(),
  notify: notifySchema.prefault({}),
  incidents: incidentsSchema.prefault({}),
  slos: slosSchema.prefault([]),
  oncall: oncallSchema.prefault({}),
  backups: backupsSchema.optional(),
}).meta({
  title: 'gantry.yaml',
  description: 'How Gantry runs, releases and watches one service.',
});

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type _OutputIsGantryConfig = Expect<Equal<z.output<typeof gantryConfigSchema>, GantryConfig>>;
