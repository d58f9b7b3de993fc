// Grouping: every alarm transition lands in the group of its (alarm, environment). A firing starts an
// episode (named by its transition); leaving ALARM resolves it. OK ↔ INSUFFICIENT_DATA tells nobody.
import type { AlarmTransition } from '../alarms/types.ts';
import type { AlertGroupRecord } from '../store/types.ts';
import { buildAlert, evidenceOf, groupKeyOf } from './alert.ts';
import type { Alert, AlertEvidence } from './types.ts';

/** What a group record keeps of its alert (AlertGroupRecord.alert). */
export interface GroupAlert {
  alert: Alert;
  evidence: AlertEvidence;
}

export function readGroupAlert(g: AlertGroupRecord): GroupAlert {
  return g.alert as GroupAlert;
}

/** The group's new state after a transition, or undefined when the transition tells nobody anything. */
export function applyTransition(
  prev: AlertGroupRecord | undefined,
  t: AlarmTransition,
  at: string,
  externalUrl: string,
): AlertGroupRecord | undefined {
  // A transition older than the group's last change is a late replay: it must not reopen a firing
  // that has since resolved (its deliveries exist already and would only start repeats).
  if (prev && Date.parse(t.at) < Date.parse(lastChangeOf(prev))) return undefined;
  const evidence = evidenceOf(t);
  if (t.to === 'ALARM') {
    if (prev?.status === 'firing') {
      // Still the same firing (a replay, or a transition we missed in between): keep its episode.
      const startsAt = readGroupAlert(prev).alert.startsAt;
      const alert = buildAlert(t, 'firing', startsAt, externalUrl);
      return { ...prev, alert: { alert, evidence }, receivers: [...t.notify], updatedAt: at };
    }
    return {
      groupKey: groupKeyOf(t.alarm, t.environment, t.service),
      service: t.service,
      alarm: t.alarm,
      environment: t.environment,
      status: 'firing',
      episodeId: t.id,
      alert: { alert: buildAlert(t, 'firing', t.at, externalUrl), evidence },
      receivers: [...t.notify],
      notified: null,
      lastNotifiedAt: null,
      repeats: 0,
      ackedAt: null,
      ackedBy: null,
      updatedAt: at,
    };
  }
  if (t.from === 'ALARM' && prev?.status === 'firing') {
    const startsAt = readGroupAlert(prev).alert.startsAt;
    const alert = buildAlert(t, 'resolved', startsAt, externalUrl);
    // The receivers told it fires (prev.receivers) are the ones to tell it stopped.
    return { ...prev, status: 'resolved', alert: { alert, evidence }, updatedAt: at };
  }
  return undefined;
}

function lastChangeOf(g: AlertGroupRecord): string {
  const { alert } = readGroupAlert(g);
  return g.status === 'resolved' ? alert.endsAt : alert.startsAt;
}
