// How alarms reach people and records: every transition goes to the notification pipeline and to
// the incident manager; an alarm firing in an environment with a canary in flight aborts it; a
// delivery outcome lands on the incident's timeline; acknowledging an incident stops the repeats.
import type { AlarmEngine } from '../alarms/index.ts';
import type { AlarmTransition } from '../alarms/types.ts';
import type { IncidentManager } from '../incidents/types.ts';
import type { Logger } from '../lib/log.ts';
import type { Notifier } from '../notify/index.ts';
import type { ReleaseEngine } from '../rollout/engine.ts';
import type { Store } from '../store/types.ts';

export function wireAlerting(opts: {
  alarms: AlarmEngine;
  notifier: Notifier;
  incidents: IncidentManager;
  releases: ReleaseEngine;
  store: Store;
  logger: Logger;
}): () => void {
  const { alarms, notifier, incidents, releases, store, logger } = opts;
  const offAlarms = alarms.subscribe((t) => {
    notifier
      .handle(t)
      .catch((err: unknown) => logger.error({ err, alarm: t.alarm }, 'could not queue notifications'));
    void incidents.onTransition(t);
    if (t.to === 'ALARM') {
      abortCanary(t).catch((err: unknown) =>
        logger.error({ err, alarm: t.alarm }, 'could not abort the canary'),
      );
    }
  });
  const offDeliveries = notifier.subscribe((d) => void incidents.onNotification(d));

  async function abortCanary(t: AlarmTransition): Promise<void> {
    const active = await store.releases.listActive(t.service);
    const canary = active.find((r) => r.environment === t.environment && r.strategy === 'canary');
    if (!canary) return;
    logger.warn({ release: canary.id, alarm: t.alarm }, 'alarm fired during a canary: aborting it');
    await releases.control(canary.id, 'abort', `alarm ${t.alarm} fired: ${t.reason}`, `alarm:${t.alarm}`);
  }

  return () => {
    offAlarms();
    offDeliveries();
  };
}

/** Acknowledging an incident acknowledges its alarms' alerts: no more repeats, PagerDuty acknowledged. */
export function ackAlertsOfIncident(
  notifier: Notifier,
  logger: Logger,
  e: { kind: string; incident: { environment: string; alarms: string[] }; by?: string | null },
): void {
  if (e.kind !== 'acknowledged') return;
  for (const alarm of e.incident.alarms) {
    notifier
      .ack({ alarm, environment: e.incident.environment, ...(e.by ? { by: e.by } : {}) })
      .catch((err: unknown) => logger.debug({ err, alarm }, 'alert not acknowledged (not firing?)'));
  }
}
