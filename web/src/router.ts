// History routing: each page is a function that fills the main element and returns its clean-up
// (timers, event streams), called when the user navigates away. The router also does what a page
// load would for assistive technology: the document's title names the page, the nav marks it
// (aria-current), and after a navigation the focus moves to the new page's heading. On a server
// with several services, the path's /services/SERVICE prefix says which one the page is about
// (service.ts): routes match the rest, and the dashboard's links and nav keep the prefix.
import { canonicalHref, currentService, remember, serviceHref } from './service.ts';
import { splitPath } from './service-paths.ts';

export type Cleanup = () => void;
export type Page = (
  el: HTMLElement,
  params: Record<string, string>,
  query: URLSearchParams,
) => Cleanup | undefined;

/** The page's name in the document title (before " · Gantry"), from the route's parameters. */
export type Title = string | ((params: Record<string, string>) => string);

interface Route {
  pattern: RegExp;
  keys: string[];
  page: Page;
  nav: string;
  title: Title;
}

export const TITLE_SUFFIX = ' · Gantry';

export class Router {
  readonly #routes: Route[] = [];
  readonly #el: HTMLElement;
  #cleanup: Cleanup | undefined;
  #rendered = false;

  constructor(el: HTMLElement) {
    this.#el = el;
  }

  add(path: string, nav: string, title: Title, page: Page): this {
    const keys: string[] = [];
    const source = path.replace(/:(\w+)/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.#routes.push({ pattern: new RegExp(`^${source}/?$`), keys, page, nav, title });
    return this;
  }

  start(): void {
    document.addEventListener('click', (ev) => {
      const a = (ev.target as Element | null)?.closest?.('a[data-link]');
      if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
      ev.preventDefault();
      this.go(a.getAttribute('href') ?? '/');
    });
    window.addEventListener('popstate', () => this.#render());
    this.#render();
  }

  /** Shows `href`: a page of the service shown now, unless it names one (or is about none). */
  go(href: string, replace = false): void {
    const url = serviceHref(href, currentService());
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    this.#render();
  }

  #render(): void {
    this.#cleanup?.();
    this.#cleanup = undefined;
    const canonical = canonicalHref(window.location.pathname, window.location.search);
    if (canonical) history.replaceState(null, '', canonical);
    const { pathname, search } = window.location;
    const { service, path } = splitPath(pathname);
    if (service) remember(service);
    for (const route of this.#routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1] ?? '');
      });
      markNav(path, route.nav);
      document.title = `${typeof route.title === 'string' ? route.title : route.title(params)}${TITLE_SUFFIX}`;
      this.#el.replaceChildren();
      this.#el.dataset.page = route.nav;
      this.#cleanup = route.page(this.#el, params, new URLSearchParams(search));
      this.#focusHeading();
      for (const fn of renderListeners) fn();
      return;
    }
    markNav(path, '');
    document.title = `Not found${TITLE_SUFFIX}`;
    const h1 = document.createElement('h1');
    h1.textContent = `No page at ${pathname}.`;
    this.#el.replaceChildren(h1);
    this.#focusHeading();
    for (const fn of renderListeners) fn();
  }

  /**
   * After a navigation (not the first page load), the focus goes to the page's heading, so that a
   * screen reader reads the new page and the keyboard starts from it, unless the page put it
   * somewhere in itself already (the login page focuses its token field), or the navigation came
   * from a control that keeps it (the service switcher: its choice is not a change of context).
   */
  #focusHeading(): void {
    const first = !this.#rendered;
    this.#rendered = true;
    const active = document.activeElement;
    if (first || this.#el.contains(active) || active?.closest('[data-keeps-focus]')) return;
    const heading = this.#el.querySelector('h1');
    if (!heading) return;
    heading.tabIndex = -1;
    heading.focus();
  }
}

/**
 * The nav's links lead to the chosen service's pages; aria-current is "page" on the link to this
 * very page, "true" on its section's. `path` is the page's path within its service.
 */
function markNav(path: string, nav: string): void {
  for (const a of document.querySelectorAll<HTMLElement>('[data-nav]')) {
    a.dataset.path ??= a.getAttribute('href') ?? '/';
    a.setAttribute('href', serviceHref(a.dataset.path));
    if (a.dataset.nav !== nav) a.removeAttribute('aria-current');
    else a.setAttribute('aria-current', a.dataset.path === path ? 'page' : 'true');
  }
}

const renderListeners: Array<() => void> = [];
/** Calls `fn` after each page is drawn (the header follows the page's service). */
export const onRender = (fn: () => void) => renderListeners.push(fn);

let current: Router | undefined;
export const setRouter = (r: Router) => {
  current = r;
};
export const navigate = (href: string, replace = false) => current?.go(href, replace);

/** Runs `fn` now and every `ms` while the page is shown; returns the clean-up. */
export function every(ms: number, fn: () => Promise<void> | void): Cleanup {
  let stopped = false;
  let timer: number | undefined;
  const tick = async () => {
    try {
      await fn();
    } finally {
      if (!stopped) timer = window.setTimeout(tick, ms);
    }
  };
  void tick();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
  };
}

/** Records the page's state in the address bar without rendering the page again. */
export const setUrl = (href: string) => history.replaceState(null, '', serviceHref(href, currentService()));
