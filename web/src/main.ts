import 'uplot/dist/uPlot.min.css';
import './style.css';
import { goToLogin } from './api.ts';
import { h } from './dom.ts';
import { alarmsPage } from './pages/alarms.ts';
import { environmentPage } from './pages/environment.ts';
import { incidentPage, incidentsPage } from './pages/incidents.ts';
import { loginPage } from './pages/login.ts';
import { logsPage } from './pages/logs.ts';
import { oncallPage } from './pages/oncall.ts';
import { overviewPage } from './pages/overview.ts';
import { releasePage } from './pages/release.ts';
import { releasesPage } from './pages/releases.ts';
import { servicesPage } from './pages/services.ts';
import { slosPage } from './pages/slos.ts';
import { navigate, Router, setRouter } from './router.ts';
import { describeUser, loadSession, logOut, onUserChange } from './session.ts';
import { loadServices, mountServiceSwitcher } from './switcher.ts';

const app = document.getElementById('app');
if (!app) throw new Error('index.html has no #app element');

const router = new Router(app)
  .add('/', 'overview', 'Overview', overviewPage)
  .add('/environments/:name', 'overview', (p) => `Environment ${p.name}`, environmentPage)
  .add('/releases', 'releases', 'Releases', releasesPage)
  .add('/releases/:id', 'releases', (p) => `Release ${p.id}`, releasePage)
  .add('/alarms', 'alarms', 'Alarms', alarmsPage)
  .add('/slos', 'slos', 'SLOs', slosPage)
  .add('/incidents', 'incidents', 'Incidents', incidentsPage)
  .add('/oncall', 'oncall', 'On call', oncallPage)
  .add('/incidents/:id', 'incidents', (p) => `Incident ${p.id}`, incidentPage)
  .add('/logs', 'logs', 'Logs', logsPage)
  .add('/services', 'services', 'All services', servicesPage)
  .add('/login', 'login', 'Log in', loginPage);
setRouter(router);

const service = document.getElementById('service');
if (service) mountServiceSwitcher(service);

// Who is logged in, in the header, with a way out.
const who = document.getElementById('who');
onUserChange((actor) => {
  if (!who) return;
  who.replaceChildren(
    ...(actor
      ? [
          h('span', { 'data-user': actor.name, title: actor.id }, describeUser(actor)),
          ' ',
          h(
            'button',
            {
              'data-logout': true,
              onclick: async () => {
                await logOut();
                navigate('/login', true);
              },
            },
            'Log out',
          ),
        ]
      : []),
  );
});

// Nothing but the login page works without a session: find out before drawing a page.
const actor = await loadSession().catch(() => undefined);
if (!actor && window.location.pathname !== '/login') {
  const { pathname, search } = window.location;
  history.replaceState(null, '', `/login?next=${encodeURIComponent(pathname + search)}`);
}
// Which services there are decides which API paths the pages use: find out before drawing one.
if (actor) await loadServices().catch(() => undefined);
router.start();
// Pages streaming over SSE make no other request: notice an ended session all the same.
window.setInterval(() => {
  if (window.location.pathname === '/login') return;
  void loadSession().then(
    (a) => (a ? undefined : goToLogin()),
    () => undefined,
  );
}, 30_000);
