// The header's service: its name on a server with one service; on a server with several, a
// labelled select that shows the same page of another service, or the overview of all of them
// (which the brand and an "All services" link in the nav lead to as well).
import { getJson } from './api.ts';
import { h } from './dom.ts';
import { navigate, onRender } from './router.ts';
import {
  currentService,
  hrefOn,
  multiService,
  onServicesChange,
  type ServiceSummary,
  services,
  setServices,
} from './service.ts';

/** Asks the server which services it runs (GET /api/v1/services). */
export async function loadServices(): Promise<void> {
  const body = await getJson<{ services: ServiceSummary[] }>('/api/v1/services');
  setServices(body.services);
}

const ALL = '';

export function mountServiceSwitcher(el: HTMLElement): void {
  const select = h('select', {
    id: 'service-switch',
    'data-keeps-focus': true,
    onchange: () => {
      navigate(select.value === ALL ? '/services' : hrefOn(select.value));
    },
  });
  const sync = () => {
    select.value = currentService() ?? ALL;
  };
  let drawn: string | undefined;
  const draw = (list: ServiceSummary[]) => {
    // The list is asked for again every few seconds: an open select is left alone unless it changed.
    const names = list.map((s) => s.name).join('\n');
    if (names === drawn) return;
    drawn = names;
    const multi = multiService();
    for (const a of document.querySelectorAll<HTMLElement>('[data-multi-service]')) a.hidden = !multi;
    document.querySelector('.top .brand')?.setAttribute('href', multi ? '/services' : '/');
    if (!multi) {
      el.replaceChildren(list[0]?.name ?? '');
      return;
    }
    select.replaceChildren(
      h('option', { value: ALL }, 'All services'),
      ...list.map((s) => h('option', { value: s.name }, s.name)),
    );
    sync();
    el.replaceChildren(h('label', { for: select.id }, 'Service '), select);
  };
  onServicesChange(draw);
  onRender(sync);
  draw(services());
}
