// Every migration in order. Forward-only: a migration, once released, is never edited or removed;
// a change to the schema is a new file with the next number.
import type { Migration } from 'kysely/migration';
import * as core from './001-core.ts';
import * as environmentEvents from './002-environment-events.ts';
import * as canaryStates from './003-canary-states.ts';
import * as metricRollups from './004-metric-rollups.ts';
import * as alarms from './005-alarms.ts';
import * as notifications from './006-notifications.ts';
import * as incidents from './007-incidents.ts';
import * as logs from './008-logs.ts';
import * as secrets from './009-secrets.ts';
import * as authAudit from './010-auth-audit.ts';
import * as policy from './011-policy.ts';
import * as triggers from './012-triggers.ts';
import * as logLevelIndex from './013-log-level-index.ts';
import * as instanceHandles from './014-instance-handles.ts';
import * as commitTimes from './015-commit-times.ts';
import * as acme from './016-acme.ts';
import * as logServices from './017-log-services.ts';
import * as alertGroupsByService from './018-alert-groups-by-service.ts';

export const migrations: Record<string, Migration> = {
  '001-core': core,
  '002-environment-events': environmentEvents,
  '003-canary-states': canaryStates,
  '004-metric-rollups': metricRollups,
  '005-alarms': alarms,
  '006-notifications': notifications,
  '007-incidents': incidents,
  '008-logs': logs,
  '009-secrets': secrets,
  '010-auth-audit': authAudit,
  '011-policy': policy,
  '012-triggers': triggers,
  '013-log-level-index': logLevelIndex,
  '014-instance-handles': instanceHandles,
  '015-commit-times': commitTimes,
  '016-acme': acme,
  '017-log-services': logServices,
  '018-alert-groups-by-service': alertGroupsByService,
};
