// An incident's timeline, assembled when read: its own entries merged, in time order, with the
// releases of its environment and the environment's events (crashes, restarts, readiness) from
// shortly before it opened to its end. Nothing is copied, so the story is never stale.
import type {
  EnvironmentEventRecord,
  IncidentEntryRecord,
  IncidentRecord,
  ReleaseEventRecord,
  ReleaseRecord,
  Store,
} from '../store/types.ts';
import type { TimelineEntry } from './types.ts';

/** How far before the incident opened the timeline looks for causes (a deploy, a crash). */
export const LOOKBACK_MS = 30 * 60_000;
/** Releases considered, newest first before the window's end; far more than a window holds. */
const MAX_RELEASES = 50;
const MAX_ENVIRONMENT_EVENTS = 2000;

const TERMINAL = new Set(['succeeded', 'failed', 'aborted', 'rolled_back']);

export interface TimelineWindow {
  from: number;
  to: number;
}

export function timelineWindow(incident: IncidentRecord, now: number): TimelineWindow {
  const opened = Date.parse(incident.openedAt);
  const end = incident.resolvedAt ? Date.parse(incident.resolvedAt) : now;
  return { from: opened - LOOKBACK_MS, to: Math.max(end, opened) };
}

export interface AssembledTimeline {
  timeline: TimelineEntry[];
  /** Releases with at least one event in the window, oldest first (the post-mortem reads them). */
  releases: ReleaseRecord[];
}

export async function assembleTimeline(
  store: Pick<Store, 'events' | 'releases'>,
  incident: IncidentRecord,
  entries: IncidentEntryRecord[],
  now: number,
): Promise<AssembledTimeline> {
  const window = timelineWindow(incident, now);
  const [releaseEntries, envEntries] = await Promise.all([
    releasesAround(store, incident, window),
    environmentEvents(store, incident, window),
  ]);
  const own = entries.map(ownEntry);
  // Causes before effects: at equal times, releases and the environment come before the incident.
  const merged = [...releaseEntries.entries, ...envEntries, ...own];
  const timeline = merged
    .map((e, i) => ({ e, i, t: Date.parse(e.at) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.e);
  return { timeline, releases: releaseEntries.releases };
}

function ownEntry(e: IncidentEntryRecord): TimelineEntry {
  const alarm = typeof e.data?.alarm === 'string' ? e.data.alarm : undefined;
  return {
    at: e.at,
    source: 'incident',
    type: e.type,
    message: e.message,
    by: e.by,
    ...(alarm !== undefined ? { alarm } : {}),
    data: e.data,
  };
}

async function releasesAround(
  store: Pick<Store, 'events' | 'releases'>,
  incident: IncidentRecord,
  w: TimelineWindow,
): Promise<{ entries: TimelineEntry[]; releases: ReleaseRecord[] }> {
  const candidates = await store.releases.list({
    service: incident.service,
    environment: incident.environment,
    before: new Date(w.to + 1).toISOString(),
    limit: MAX_RELEASES,
  });
  const overlapping = candidates.filter((r) => !r.finishedAt || Date.parse(r.finishedAt) >= w.from).reverse();
  const entries: TimelineEntry[] = [];
  const releases: ReleaseRecord[] = [];
  for (const rel of overlapping) {
    const inWindow = (await store.releases.events(rel.id)).filter((ev) => inside(ev.at, w));
    const shown = inWindow.map((ev) => releaseEntry(rel, ev)).filter((e) => e !== null);
    if (shown.length > 0) releases.push(rel);
    entries.push(...shown);
  }
  return { entries, releases };
}

/** Release events worth a line: state changes, canary steps, checks, operator actions, decisions. */
export function releaseEntry(rel: ReleaseRecord, ev: ReleaseEventRecord): TimelineEntry | null {
  const base = { at: ev.at, source: 'release' as const, by: null, releaseId: rel.id, data: ev.data };
  const noun = rel.kind === 'rollback' ? 'rollback' : 'release';
  const name = `${noun} ${rel.id} (${rel.version})`;
  switch (ev.type) {
    case 'state': {
      if (ev.state === 'pending') {
        const from = rel.previousVersion ?? 'nothing';
        const message = `${noun} ${rel.id} started: ${rel.environment} ${from} → ${rel.version} (${rel.strategy}${rel.createdBy ? `, by ${rel.createdBy}` : ''})`;
        return { ...base, type: 'release.started', message, by: rel.createdBy };
      }
      const type =
        ev.state === 'rolling_back'
          ? 'release.rollback'
          : ev.state && TERMINAL.has(ev.state)
            ? 'release.finished'
            : 'release.state';
      return { ...base, type, message: `${name} ${(ev.state ?? '').replace('_', ' ')}: ${ev.message}` };
    }
    case 'canary.step':
      return { ...base, type: 'release.step', message: `${name} ${ev.message}` };
    case 'check':
      return { ...base, type: 'release.check', message: `${name} ${ev.message}` };
    case 'control': {
      const by = typeof ev.data?.by === 'string' ? ev.data.by : null;
      return { ...base, type: 'release.control', message: `${name} ${ev.message}`, by };
    }
    case 'verdict':
      // Verdicts come every analysis interval; the timeline keeps the ones that decided or failed.
      if (ev.data?.decisive !== true && ev.data?.phase !== 'fail') return null;
      return { ...base, type: 'release.verdict', message: `${name} verdict ${ev.message}` };
    default:
      return null;
  }
}

async function environmentEvents(
  store: Pick<Store, 'events' | 'releases'>,
  incident: IncidentRecord,
  w: TimelineWindow,
): Promise<TimelineEntry[]> {
  const events = await store.events.list({
    service: incident.service,
    environment: incident.environment,
    since: new Date(w.from).toISOString(),
    until: new Date(w.to).toISOString(),
    limit: MAX_ENVIRONMENT_EVENTS,
  });
  return events.filter((e) => inside(e.at, w)).map(environmentEntry);
}

function environmentEntry(e: EnvironmentEventRecord): TimelineEntry {
  return {
    at: e.at,
    source: 'environment',
    type: `environment.${e.type}`,
    message: e.message,
    by: null,
    ...(e.instance ? { instance: e.instance } : {}),
    data: e.data,
  };
}

function inside(at: string, w: TimelineWindow): boolean {
  const t = Date.parse(at);
  return t >= w.from && t <= w.to;
}
