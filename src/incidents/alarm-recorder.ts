// Alarm transitions and notification outcomes written onto incidents: an alarm severe enough opens
// an incident or joins the one in progress in its environment (raising its severity), and every
// later transition of a member alarm, like every notification about it, becomes a timeline entry.
import type { AlarmTransition, Severity } from '../alarms/types.ts';
import { newId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import type { IncidentChange, IncidentRepo, IncidentStatus, NewIncidentEntry } from '../store/types.ts';
import {
  joinedEntry,
  notificationEntry,
  openedEntry,
  severityEntry,
  transitionEntry,
} from './alarm-entries.ts';
import { isAtLeast, mostSevere } from './severity.ts';
import type { NotificationOutcome } from './types.ts';

const ACTIVE: IncidentStatus[] = ['open', 'acknowledged'];

/** What a transition did: opened an incident, joined one, or added an entry to one. */
export interface Recorded {
  kind: 'opened' | 'joined' | 'recorded';
  incidentId: string;
}
/** A write that lost a race (the incident was resolved or opened meanwhile) is decided again. */
const MAX_ATTEMPTS = 3;

export async function recordTransition(
  repo: IncidentRepo,
  openAt: Severity,
  t: AlarmTransition,
  log: Logger,
): Promise<Recorded | undefined> {
  const severe = t.to === 'ALARM' && isAtLeast(t.severity, openAt);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const active = await repo.findActive(t.service, t.environment);
    if (active) {
      const member = active.alarms.includes(t.alarm);
      if (!member && !severe) return undefined;
      const raise = severe && mostSevere(active.severity, t.severity) !== active.severity;
      const change: IncidentChange = {
        ifStatus: ACTIVE,
        ...(raise ? { set: { severity: t.severity } } : {}),
        ...(member ? {} : { addAlarm: t.alarm }),
        entries: [
          ...(member ? [] : [joinedEntry(t)]),
          ...(raise ? [severityEntry(t, active.severity)] : []),
          transitionEntry(t),
        ],
      };
      if (await repo.update(active.id, change)) {
        if (member) return { kind: 'recorded', incidentId: active.id };
        log.info({ incident: active.id, alarm: t.alarm }, 'alarm joined incident');
        return { kind: 'joined', incidentId: active.id };
      }
      continue;
    }
    if (severe) {
      const { incident, opened } = await repo.open(
        {
          id: newId('inc'),
          service: t.service,
          environment: t.environment,
          description: `${t.alarm} in ${t.environment}`,
          severity: t.severity,
          openedAt: t.at,
          alarm: t.alarm,
        },
        [openedEntry(t), transitionEntry(t)],
      );
      if (opened) {
        log.warn(
          { incident: incident.id, alarm: t.alarm, environment: t.environment, severity: t.severity },
          'incident opened',
        );
        return { kind: 'opened', incidentId: incident.id };
      }
      continue;
    }
    // A recovery after a person resolved the incident still ends that incident's story.
    const id = await appendToLatest(repo, t.service, t.environment, t.alarm, transitionEntry(t));
    return id === undefined ? undefined : { kind: 'recorded', incidentId: id };
  }
  throw new Error(`the incident of ${t.environment} kept changing during ${MAX_ATTEMPTS} attempts`);
}

export async function recordNotification(
  repo: IncidentRepo,
  service: string,
  d: NotificationOutcome,
): Promise<void> {
  const active = await repo.findActive(service, d.environment);
  if (active?.alarms.includes(d.alarm)) {
    await repo.update(active.id, { entries: [notificationEntry(d)] });
  } else if (!active && d.kind === 'resolved') {
    await appendToLatest(repo, service, d.environment, d.alarm, notificationEntry(d));
  }
}

/** Appends to the newest incident of the environment when it is resolved and the alarm was in it. */
async function appendToLatest(
  repo: IncidentRepo,
  service: string,
  environment: string,
  alarm: string,
  entry: NewIncidentEntry,
): Promise<string | undefined> {
  const [latest] = await repo.list({ service, environment, limit: 1 });
  if (latest?.status !== 'resolved' || !latest.alarms.includes(alarm) || entry.at < latest.openedAt) {
    return undefined;
  }
  await repo.update(latest.id, { entries: [entry] });
  return latest.id;
}
