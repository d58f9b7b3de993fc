// All services of the server at a glance: each with its environments, the version each serves,
// how many of its instances are ready, the release in progress, and the service's firing alarms
// and active incidents; refreshed every 5 s. Each service and environment links to its own pages.
import type { AlarmListResponse } from '../../../src/api/alarm-routes.ts';
import type { EnvironmentView, StatusBody } from '../../../src/api/types.ts';
import type { IncidentView } from '../../../src/incidents/types.ts';
import { getJson } from '../api.ts';
import { badge, errorBox, fill, h, scrollRegion } from '../dom.ts';
import { toneOf } from '../format.ts';
import { type Cleanup, every } from '../router.ts';
import { type ServiceSummary, serviceHref, setServices } from '../service.ts';

const REFRESH_MS = 5000;

interface ServiceState {
  summary: ServiceSummary;
  status: StatusBody;
  firing: number;
  incidents: number;
}

export function servicesPage(el: HTMLElement): Cleanup {
  const status = h('p', { class: 'muted small' }, 'Loading…');
  const list = h('div', { class: 'service-list' });
  fill(el, h('div', { class: 'page-head' }, h('h1', null, 'All services'), status), list);
  return every(REFRESH_MS, async () => {
    try {
      const { services } = await getJson<{ services: ServiceSummary[] }>('/api/v1/services');
      setServices(services);
      const states = await Promise.all(services.map((s) => load(s).catch((err: Error) => err)));
      fill(
        list,
        states.map((state, i) =>
          state instanceof Error
            ? serviceCard(services[i]?.name ?? '', errorBox(state))
            : serviceCard(state.summary.name, ...stateOf(state)),
        ),
      );
      status.textContent = `${services.length} services · updated ${new Date().toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
    } catch (err) {
      fill(status, errorBox(err));
    }
  });
}

async function load(summary: ServiceSummary): Promise<ServiceState> {
  const base = `/api/v1/services/${encodeURIComponent(summary.name)}`;
  const [status, alarms, incidents] = await Promise.all([
    getJson<StatusBody>(`${base}/status`),
    getJson<AlarmListResponse>(`${base}/alarms`),
    getJson<{ incidents: IncidentView[] }>(`${base}/incidents?status=active&limit=500`),
  ]);
  return {
    summary,
    status,
    firing: alarms.alarms.filter((a) => a.state === 'ALARM').length,
    incidents: incidents.incidents.length,
  };
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A link to one of `service`'s pages. */
const pageLink = (service: string, href: string, ...children: Array<Node | string>) =>
  h('a', { href: serviceHref(href, service), 'data-link': true }, ...children);

function serviceCard(name: string, ...children: Node[]): HTMLElement {
  return h(
    'section',
    { class: 'card service', 'data-service': name },
    h('h2', null, pageLink(name, '/', name)),
    ...children,
  );
}

function stateOf(s: ServiceState): Node[] {
  const name = s.summary.name;
  const envs = s.status.environments;
  const healthy = envs.filter((e) => e.readyInstances >= e.desiredInstances).length;
  return [
    h(
      'div',
      { class: 'env-head' },
      badge(`${healthy}/${envs.length} environments ready`, healthy === envs.length ? 'good' : 'bad'),
      h(
        'span',
        { 'data-alarms': s.firing },
        pageLink(name, '/alarms', badge(`${count(s.firing, 'alarm')} firing`, s.firing > 0 ? 'bad' : 'good')),
      ),
      h(
        'span',
        { 'data-incidents': s.incidents },
        pageLink(
          name,
          '/incidents',
          badge(`${count(s.incidents, 'active incident')}`, s.incidents > 0 ? 'bad' : 'good'),
        ),
      ),
      pageLink(name, '/releases', 'releases'),
      pageLink(name, '/logs', 'logs'),
    ),
    scrollRegion(
      `${name}: environments`,
      'scroll',
      h(
        'table',
        { class: 'list' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ['environment', 'version', 'instances', 'release in progress'].map((t) => h('th', null, t)),
          ),
        ),
        h(
          'tbody',
          null,
          envs.length === 0
            ? h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'No environments.'))
            : envs.map((e) => envRow(name, e)),
        ),
      ),
    ),
  ];
}

function envRow(service: string, env: EnvironmentView): HTMLElement {
  const rel = env.activeRelease;
  return h(
    'tr',
    { 'data-env': env.name },
    h('td', null, pageLink(service, `/environments/${encodeURIComponent(env.name)}`, env.name)),
    h(
      'td',
      { 'data-version': env.currentVersion ?? '' },
      env.currentVersion ?? h('span', { class: 'muted' }, 'none'),
    ),
    h(
      'td',
      null,
      badge(
        `${env.readyInstances}/${env.desiredInstances} ready`,
        env.readyInstances >= env.desiredInstances ? 'good' : 'bad',
      ),
    ),
    h(
      'td',
      null,
      rel
        ? [
            pageLink(service, `/releases/${rel.id}`, `${rel.previousVersion ?? '∅'} → ${rel.version}`),
            ' ',
            badge(rel.state, toneOf(rel.state)),
          ]
        : h('span', { class: 'muted' }, '–'),
    ),
  );
}
