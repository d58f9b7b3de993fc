// History routing: each page is a function that fills the main element and returns its clean-up
// (timers, event streams), called when the user navigates away.
export type Cleanup = () => void;
export type Page = (
  el: HTMLElement,
  params: Record<string, string>,
  query: URLSearchParams,
) => Cleanup | undefined;

interface Route {
  pattern: RegExp;
  keys: string[];
  page: Page;
  nav: string;
}

export class Router {
  readonly #routes: Route[] = [];
  readonly #el: HTMLElement;
  #cleanup: Cleanup | undefined;

  constructor(el: HTMLElement) {
    this.#el = el;
  }

  add(path: string, nav: string, page: Page): this {
    const keys: string[] = [];
    const source = path.replace(/:(\w+)/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    this.#routes.push({ pattern: new RegExp(`^${source}/?$`), keys, page, nav });
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
      for (const a of document.querySelectorAll('[data-nav]'))
        a.classList.toggle('active', a.getAttribute('data-nav') === route.nav);
      this.#el.replaceChildren();
      this.#el.dataset.page = route.nav;
      this.#cleanup = route.page(this.#el, params, new URLSearchParams(search));
      return;
    }
    this.#el.replaceChildren();
    this.#el.textContent = `No page at ${pathname}.`;
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
