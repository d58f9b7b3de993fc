// The login page: paste an API token, get a session cookie (HttpOnly: the page never keeps the
// token), go back to the page that asked for it.
import { h } from '../dom.ts';
import { type Cleanup, navigate } from '../router.ts';
import { logIn } from '../session.ts';
import { loadServices } from '../switcher.ts';

export function loginPage(
  el: HTMLElement,
  _params: Record<string, string>,
  query: URLSearchParams,
): Cleanup | undefined {
  const next = safeNext(query.get('next'));
  const token = h('input', {
    name: 'token',
    type: 'password',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'gantry_…',
    'aria-label': 'API token',
  });
  const out = h('div', { 'data-login-error': true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h(
    'form',
    { class: 'inline-form', 'data-login': true },
    h('label', { class: 'grow' }, 'Token ', token),
    button,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    out.replaceChildren();
    try {
      await logIn(token.value.trim());
      token.value = '';
      // On a server with several services, the page to go back to names one (or is the overview of all).
      await loadServices().catch(() => undefined);
      navigate(next, true);
    } catch (err) {
      out.replaceChildren(
        h('div', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)),
      );
    } finally {
      button.disabled = false;
    }
  });
  el.replaceChildren(
    h('div', { class: 'page-head' }, h('h1', null, 'Log in')),
    h(
      'section',
      { class: 'card login' },
      h(
        'p',
        null,
        'Paste an API token. The server printed one at its first start and saved it in ',
        h('code', null, '<data-dir>/admin-token'),
        '; an admin creates more with ',
        h('code', null, 'gantry tokens create --role viewer'),
        '.',
      ),
      form,
      out,
    ),
  );
  token.focus();
  return undefined;
}

/** Only a path of this dashboard: never a redirect to another site. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/';
}
