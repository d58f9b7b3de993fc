import 'uplot/dist/uPlot.min.css';
import './style.css';
import { alarmsPage } from './pages/alarms.ts';
import { environmentPage } from './pages/environment.ts';
import { incidentPage, incidentsPage } from './pages/incidents.ts';
import { logsPage } from './pages/logs.ts';
import { overviewPage } from './pages/overview.ts';
import { releasePage } from './pages/release.ts';
import { releasesPage } from './pages/releases.ts';
import { Router, setRouter } from './router.ts';

const app = document.getElementById('app');
if (!app) throw new Error('index.html has no #app element');

const router = new Router(app)
  .add('/', 'overview', overviewPage)
  .add('/environments/:name', 'overview', environmentPage)
  .add('/releases', 'releases', releasesPage)
  .add('/releases/:id', 'releases', releasePage)
  .add('/alarms', 'alarms', alarmsPage)
  .add('/incidents', 'incidents', incidentsPage)
  .add('/incidents/:id', 'incidents', incidentPage)
  .add('/logs', 'logs', logsPage);
setRouter(router);
router.start();
