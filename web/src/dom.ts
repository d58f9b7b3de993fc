// A tiny element builder: enough to write pages as plain functions without a framework.
import { serviceHref } from './service.ts';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value);
    else if (key === 'class') el.className = String(value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Array<Child | Child[]>): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const FOCUSABLE = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * Replaces an element's content. Pages refresh theirs every few seconds: a keyboard user whose
 * focus was in the old content gets it back on the element at the same place in the new one
 * (the same row's button, say), rather than thrown back to the top of the page.
 */
export function fill(el: Element, ...children: Array<Child | Child[]>): void {
  const active = document.activeElement;
  const at = active && el.contains(active) ? [...el.querySelectorAll(FOCUSABLE)].indexOf(active) : -1;
  el.replaceChildren();
  append(el, children);
  if (at < 0) return;
  const same = el.querySelectorAll<HTMLElement>(FOCUSABLE)[at];
  same?.focus({ preventScroll: true });
}

/** A link handled by the dashboard's router (no page load), to a page of the service shown. */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href: serviceHref(href), 'data-link': true }, ...children);
}

export function badge(text: string, tone: string): HTMLSpanElement {
  return h('span', { class: `badge ${tone}` }, text);
}

export function errorBox(err: unknown): HTMLElement {
  return h('div', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err));
}

export function section(title: string, ...children: Array<Child | Child[]>): HTMLElement {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

/**
 * A box that scrolls sideways on a narrow screen: a named region that the keyboard reaches (Tab,
 * then the arrow keys), for the tables that hold nothing focusable of their own (WCAG 2.1.1).
 */
export function scrollRegion(
  label: string,
  cls: string,
  ...children: Array<Child | Child[]>
): HTMLDivElement {
  return h('div', { class: cls, role: 'region', 'aria-label': label, tabindex: 0 }, ...children);
}

/** A scrolling card with a table named `label`: a header row, then the rows (the list pages' shape). */
export function listTable(label: string, headers: string[], rows: Node[]): HTMLDivElement {
  return scrollRegion(
    label,
    'scroll card',
    h(
      'table',
      { class: 'list' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((t) => h('th', null, t)),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}
