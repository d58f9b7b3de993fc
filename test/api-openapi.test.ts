// The OpenAPI document against the server that serves it: every operation has a unique camelCase
// operationId, declares its path parameters and gives a schema for every answer; then a real
// server with a real release history answers every GET operation (and the POSTs of the release
// path), and each answer must be declared for its status and valid against its schema (ajv, JSON
// Schema 2020-12 as OpenAPI 3.1 has it). Schemas forbid fields they do not name, so an answer that
// grows a field its schema lacks fails here.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GantryServer, startServer } from '../src/app/server.ts';
import { silentLogger } from '../src/lib/log.ts';
import { ApiClient, helloBuild, repoRoot, tempDir, writeHelloConfig } from './helpers/gantry.ts';

interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string }>;
  responses?: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const EXTRA = `alarms:
  - { name: staging-5xx, environment: staging, metric: http_5xx_rate, above: 5%, period: 10s, severity: P3 }
synthetics:
  - { name: reachable, environment: staging, every: 1h, command: "exit 0" }
slos:
  - { name: availability, environment: staging, objective: 99% }
oncall:
  schedules:
    - name: primary
      rotation: weekly
      handoff: "mon 09:00"
      tz: Europe/Berlin
      start: 2026-01-05
      people:
        - { name: Ana, notify: [{ type: webhook, url: "http://127.0.0.1:9/ana" }] }
        - { name: Bo, notify: [{ type: webhook, url: "http://127.0.0.1:9/bo" }] }
`;

const UPLOAD = '/api/v1/versions/{version}/artifact';
/** RFC 3339 date-time with a zone, as the schemas' `format: date-time` says. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const operations = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path: p, method: method.toUpperCase(), op })),
  );

/** Validates answers against the document's schemas, compiled once each. */
class AnswerChecker {
  readonly #ajv = new Ajv2020({ strict: true, allErrors: true }).addFormat('date-time', ISO_8601);
  readonly #compiled = new Map<unknown, ValidateFunction>();
  readonly doc: Document;
  constructor(doc: Document) {
    this.doc = doc;
  }

  /** Compiles a schema of the document, `$ref`s to its components resolved. */
  compile(schema: unknown): ValidateFunction {
    const ref = (schema as { $ref?: string }).$ref;
    const resolved = ref ? this.doc.components.schemas[ref.replace('#/components/schemas/', '')] : schema;
    let v = this.#compiled.get(resolved);
    if (!v) {
      v = this.#ajv.compile(resolved as object);
      this.#compiled.set(resolved, v);
    }
    return v;
  }

  /** Problems with one answer of `method docPath`: undeclared status or type, or a body off its schema. */
  check(method: string, docPath: string, status: number, contentType: string, body: string): string[] {
    const op = this.doc.paths[docPath]?.[method.toLowerCase()];
    const declared = op?.responses?.[String(status)];
    if (!declared) return [`${method} ${docPath}: status ${status} is not declared (${body.slice(0, 200)})`];
    const media = contentType.split(';')[0]?.trim() ?? '';
    const content = declared.content?.[media];
    if (!content?.schema) return [`${method} ${docPath} ${status}: content type ${media} is not declared`];
    if (!/json$/.test(media)) return [];
    const validate = this.compile(content.schema);
    if (validate(JSON.parse(body))) return [];
    return (validate.errors ?? []).map(
      (e) =>
        `${method} ${docPath} ${status}: ${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`,
    );
  }
}

describe('the OpenAPI document served by a real server', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: GantryServer;
  let api: ApiClient;
  let doc: Document;
  let checker: AnswerChecker;
  const problems: string[] = [];
  const called = new Set<string>();

  /** Calls the server, checks the answer against the document, and returns the parsed body. */
  async function call(
    method: string,
    docPath: string,
    url: string,
    init: { body?: string; contentType?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(server.url + url, {
      method,
      headers: {
        ...api.headers(),
        ...(init.contentType ? { 'content-type': init.contentType } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    problems.push(...checker.check(method, docPath, res.status, contentType, text));
    called.add(`${method} ${docPath}`);
    return { status: res.status, body: /json/.test(contentType) && text ? JSON.parse(text) : text };
  }

  const post = (docPath: string, url: string, body: unknown, method = 'POST') =>
    call(method, docPath, url, { body: JSON.stringify(body), contentType: 'application/json' });

  /** Waits for the release a 201 answer started, which must succeed. */
  async function succeeds(answer: { status: number; body: unknown }): Promise<void> {
    expect(answer.status).toBe(201);
    const done = await api.waitRelease((answer.body as { release: { id: string } }).release.id);
    expect(done.release.state).toBe('succeeded');
  }

  beforeAll(async () => {
    tmp = await tempDir();
    const cfg = await writeHelloConfig(tmp.dir, {
      stagingInstances: 1,
      productionInstances: 1,
      extra: EXTRA,
    });
    server = await startServer({
      config: cfg.file,
      dataDir: `${tmp.dir}/data`,
      listen: '127.0.0.1:0',
      logger: silentLogger,
    });
    api = new ApiClient(server);
    doc = (await api.call<Document>('GET', '/api/v1/openapi.json')).body;
    checker = new AnswerChecker(doc);

    // The release path, each answer checked: upload, release, promote, release again, roll back.
    for (const v of ['v1', 'v2']) {
      const up = await api.upload(v, await helloBuild(tmp.dir, v));
      expect(up.status).toBe(201);
      const answer = JSON.stringify(up.body);
      problems.push(...checker.check('POST', UPLOAD, up.status, 'application/json', answer));
    }
    called.add(`POST ${UPLOAD}`);
    await succeeds(
      await post('/api/v1/releases', '/api/v1/releases', { environment: 'staging', version: 'v1' }),
    );
    await succeeds(await post('/api/v1/promote', '/api/v1/promote', { from: 'staging', to: 'production' }));
    await succeeds(
      await post('/api/v1/releases', '/api/v1/releases', { environment: 'staging', version: 'v2' }),
    );
    await succeeds(await post('/api/v1/rollback', '/api/v1/rollback', { environment: 'staging' }));

    // Records for the lists to show: a scan report, a token, a silence, a secret.
    const trivy = await readFile(path.join(repoRoot, 'test/fixtures/scans/trivy-clean.json'), 'utf8');
    const scan = await call('PUT', '/api/v1/versions/{version}/scan', '/api/v1/versions/v1/scan', {
      body: trivy,
      contentType: 'application/json',
    });
    expect(scan.status).toBe(201);
    const token = await post('/api/v1/tokens', '/api/v1/tokens', { role: 'viewer', name: 'reader' });
    expect(token.status).toBe(201);
    const silence = await post('/api/v1/silences', '/api/v1/silences', {
      matchers: [{ name: 'alertname', value: 'staging-5xx' }],
      duration: '1h',
      comment: 'maintenance',
    });
    expect(silence.status).toBe(201);
    const secret = await post(
      '/api/v1/environments/{name}/secrets/{secret}',
      '/api/v1/environments/staging/secrets/API_KEY',
      { value: 's3cret' },
      'PUT',
    );
    expect(secret.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await server?.close({ stopInstances: true });
    await tmp?.cleanup();
  });

  it('gives every operation a unique camelCase operationId', () => {
    const all = operations(doc).map((o) => o.op.operationId);
    expect(all.length).toBeGreaterThan(60);
    for (const id of all) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(new Set(all).size).toBe(all.length);
  });

  it('declares every path parameter, and a schema for every answer', () => {
    const missing: string[] = [];
    for (const { path: p, method, op } of operations(doc)) {
      const inPath = [...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name);
      if (inPath.join() !== declared.join())
        missing.push(`${method} ${p}: path parameters ${declared.join()}`);
      const responses = Object.entries(op.responses ?? {});
      if (!responses.some(([status]) => status.startsWith('2'))) missing.push(`${method} ${p}: no success`);
      for (const [status, r] of responses) {
        const content = Object.entries(r.content ?? {});
        if (content.length === 0) missing.push(`${method} ${p} ${status}: no content`);
        for (const [media, c] of content) {
          if (!c.schema) missing.push(`${method} ${p} ${status} ${media}: no schema`);
          else checker.compile(c.schema);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('answers every GET operation as its schemas say', async () => {
    const releases = (await api.call<{ releases: Array<{ id: string }> }>('GET', '/api/v1/releases')).body;
    const instances = (await api.call<{ instances: Array<{ id: string }> }>('GET', '/api/v1/instances')).body;
    const values: Record<string, string> = {
      name: 'staging',
      id: releases.releases[0]?.id ?? 'none',
      version: 'v1',
      token: 'not-a-signed-link',
      path: 'releases',
    };
    const byPath: Record<string, Record<string, string>> = {
      '/api/v1/instances/{id}/logs': { id: instances.instances[0]?.id ?? 'none' },
      '/api/v1/alarms/{name}/history': { name: 'staging-5xx' },
      '/api/v1/slos/{name}/burn-down': { name: 'availability' },
      '/api/v1/incidents/{id}': { id: 'inc_none' },
      '/api/v1/incidents/{id}/postmortem': { id: 'inc_none' },
      '/assets/{path}': { path: 'none.js' },
    };
    /** Required query parameters. */
    const queries: Record<string, string> = {
      '/api/v1/metrics': '?environment=staging&metric=http_5xx_rate&from=-10m',
    };
    for (const { path: p, method, op } of operations(doc)) {
      if (method !== 'GET') continue;
      const streamOnly = Object.keys(op.responses?.['200']?.content ?? {}).join() === 'text/event-stream';
      if (streamOnly) continue;
      const url =
        p.replace(/\{(\w+)\}/g, (_m, name: string) => byPath[p]?.[name] ?? values[name] ?? name) +
        (queries[p] ?? '');
      await call('GET', p, url, { headers: { accept: 'application/json' } });
    }
    // Refusals: a bad query, an unknown name, no token.
    expect((await call('GET', '/api/v1/releases', '/api/v1/releases?limit=0')).status).toBe(400);
    expect((await call('GET', '/api/v1/environments/{name}', '/api/v1/environments/nope')).status).toBe(404);
    const anonymous = await fetch(`${server.url}/api/v1/status`);
    const refusal = await anonymous.text();
    problems.push(...checker.check('GET', '/api/v1/status', anonymous.status, 'application/json', refusal));
    expect(anonymous.status).toBe(401);
    expect(problems).toEqual([]);
    const gets = operations(doc).filter((o) => o.method === 'GET');
    expect(gets.filter((o) => !called.has(`GET ${o.path}`)).map((o) => o.path)).toEqual([
      '/api/v1/logs/stream',
    ]);
  });

  it('refuses an answer with a field its schema does not name, a time that is not one, a status not declared', async () => {
    const status = await api.call<Record<string, unknown>>('GET', '/api/v1/status');
    const body = JSON.stringify({ ...status.body, extra: 1 });
    expect(checker.check('GET', '/api/v1/status', 200, 'application/json', body)).toEqual([
      expect.stringContaining('must NOT have additional properties'),
    ]);
    const started = { ...(status.body.server as object), startedAt: 'yesterday' };
    const late = JSON.stringify({ ...status.body, server: started });
    expect(checker.check('GET', '/api/v1/status', 200, 'application/json', late)).toEqual([
      expect.stringContaining('/server/startedAt must match format "date-time"'),
    ]);
    expect(checker.check('GET', '/api/v1/status', 418, 'application/json', '{}')).toEqual([
      expect.stringContaining('status 418 is not declared'),
    ]);
  });
});
