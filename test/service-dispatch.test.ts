// The dispatcher in front of the services' API instances: which instance answers which path, the
// acknowledgement links routed by the alert they name, and /metrics merged with service labels.
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceDispatcher, pickService } from '../src/api/service-dispatch.ts';
import { mergeExpositions } from '../src/api/service-metrics.ts';
import { GantryError } from '../src/lib/errors.ts';

describe('pickService', () => {
  const both = ['api', 'web'];
  const cases: Array<[string, string, readonly string[], string]> = [
    [
      'nested path',
      '/api/v1/services/web/status?environment=production',
      both,
      'web /api/v1/status?environment=production',
    ],
    ['nested path, one service', '/api/v1/services/api/releases', ['api'], 'api /api/v1/releases'],
    ['old path, one service', '/api/v1/status', ['api'], 'api /api/v1/status'],
    ['global path', '/api/v1/tokens/t1', both, 'api /api/v1/tokens/t1'],
    ['the services list', '/api/v1/services', both, 'api /api/v1/services'],
    ['the dashboard', '/incidents', both, 'api /incidents'],
    ['old path, two services', '/api/v1/releases', both, 'SERVICE_REQUIRED'],
    ['unknown service', '/api/v1/services/nope/status', both, 'UNKNOWN_SERVICE'],
  ];
  it.each(cases)('%s', (_name, url, services, expected) => {
    const picked = pickService(url, services);
    expect(picked instanceof GantryError ? picked.code : `${picked.service} ${picked.url}`).toBe(expected);
  });
});

describe('createServiceDispatcher', () => {
  let apps: Map<string, FastifyInstance>;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    apps = new Map();
    for (const name of ['api', 'web']) {
      const app = Fastify();
      app.get('/api/v1/ack/:token', async () => ({ answeredBy: name }));
      app.get('/metrics', async (req, reply) =>
        req.headers.authorization
          ? reply
              .type('text/plain')
              .send(
                `# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total{environment="production"} ${name.length}\n`,
              )
          : reply.code(401).send({ error: { code: 'UNAUTHORIZED' } }),
      );
      await app.ready();
      apps.set(name, app);
    }
    const server = createServiceDispatcher({
      current: () => apps,
      ackLinkOwner: async (token) => (token === 'web-alert' ? 'web' : undefined),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });

  afterAll(async () => {
    await close();
    for (const app of apps.values()) await app.close();
  });

  it('routes an acknowledgement link to the service of its alert, else to the first', async () => {
    expect(await (await fetch(`${url}/api/v1/ack/web-alert`)).json()).toEqual({ answeredBy: 'web' });
    expect(await (await fetch(`${url}/api/v1/ack/other`)).json()).toEqual({ answeredBy: 'api' });
  });

  it("merges every service's /metrics, and answers a refusal as it is", async () => {
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer t' } });
    expect(await ok.text()).toBe(
      '# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total{service="api",environment="production"} 3\nhits_total{service="web",environment="production"} 3\n',
    );
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
  });
});

describe('mergeExpositions', () => {
  it('keeps process-wide families once and labels the rest, OpenMetrics ending in one # EOF', () => {
    const text = (n: number) =>
      `# TYPE process_open_fds gauge\nprocess_open_fds ${n}\n# TYPE up gauge\nup 1\n# EOF\n`;
    expect(
      mergeExpositions([
        { service: 'a', text: text(7) },
        { service: 'b', text: text(8) },
      ]),
    ).toBe(
      '# TYPE process_open_fds gauge\nprocess_open_fds 7\n# TYPE up gauge\nup{service="a"} 1\nup{service="b"} 1\n# EOF\n',
    );
  });
});
