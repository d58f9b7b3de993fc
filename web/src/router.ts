// History routing: each page is a function that fills the main element and returns its clean-up
// (timers, event streams), called when the user navigates away. The router also does what a page
// load would for assistive technology: the document's title names the page, the nav marks it
// (aria-current), and after a navigation the focus moves to the new page's heading.
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

  go(href: string, replace = false): void {
    if (replace) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
    this.#render();
  }

  #render(): void {
    this.#cleanup?.();
    this.#cleanup = undefined;
    const { pathname, search } = window.location;
    for (const route of this.#routes) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1] ?? '');
      });
      markNav(pathname, route.nav);
      document.title = `${typeof route.title === 'string' ? route.title : route.title(params)}${TITLE_SUFFIX}`;
      this.#el.replaceChildren();
      this.#el.dataset.page = route.nav;
      this.#cleanup = route.page(this.#el, params, new URLSearchParams(search));
      this.#focusHeading();
      return;
    }
    markNav(pathname, '');
    document.title = `Not found${TITLE_SUFFIX}`;
    const h1 = document.createElement('h1');
    h1.textContent = `No page at ${pathname}.`;
    this.#el.replaceChildren(h1);
    this.#focusHeading();
  }

  /**
   * After a navigation (not the first page load), the focus goes to the page's heading, so that a
   * screen reader reads the new page and the keyboard starts from it, unless the page put it
   * somewhere in itself already (the login page focuses its token field).
   */
  #focusHeading(): void {
    const first = !this.#rendered;
    this.#rendered = true;
    if (first || this.#el.contains(document.activeElement)) return;
    const heading = this.#el.querySelector('h1');
    if (!heading) return;
    heading.tabIndex = -1;
    heading.focus();
  }
}

/** aria-current on the nav: "page" on the link to this very page, "true" on its section's. */
function markNav(pathname: string, nav: string): void {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.getAttribute('data-nav') !== nav) a.removeAttribute('aria-current');
    else a.setAttribute('aria-current', a.getAttribute('href') === pathname ? 'page' : 'true');
  }
}

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
export const setUrl = (href: string) => history.replaceState(null, '', href);
