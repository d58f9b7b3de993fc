// The proxy's request check against undici itself: every request whose forwarded form undici
// refuses to build is refused by checkRequestHead first (a request undici refuses once cost a pool
// connection for good), and a request that differs from a valid one by a single character is
// refused by the check only when undici refuses it too. Each byte 0x00–0xFF is tried in a header
// value, a header name and the path; undici is asked through a real Client that never connects.
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { Client } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { buildUpstreamHeaders } from '../src/proxy/forward-headers.ts';
import { checkRequestHead } from '../src/proxy/request-check.ts';

const client = new Client('http://127.0.0.1:1', {
  connect: (_opts, callback) => callback(new Error('this test never connects'), null),
});
afterAll(() => client.destroy());

/** A request as node:http's parser hands it over, from its method, target and raw header list. */
function request(method: string, url: string, rawHeaders: string[]): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = method;
  req.url = url;
  req.rawHeaders = rawHeaders;
  return req;
}

/** Whether undici refuses to build the request the proxy would dispatch for `req`. */
function undiciRefuses(req: IncomingMessage): boolean {
  let refused = false;
  client.dispatch(
    { method: req.method ?? '', path: req.url ?? '', headers: buildUpstreamHeaders(req).headers },
    {
      onRequestStart(controller) {
        controller.abort(new Error('not sent'));
      },
      onResponseStart() {},
      onResponseData() {},
      onResponseEnd() {},
      onResponseError(_controller, err) {
        const code = (err as { code?: string }).code;
        if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') refused = true;
      },
    },
  );
  // undici refuses while dispatch() runs; a request it accepts only fails later, to connect.
  return refused;
}

const checkRefuses = (req: IncomingMessage) => checkRequestHead(req, false) !== undefined;

describe('the request check and undici', () => {
  it('agree on every byte in a header value, a header name and the path', () => {
    const disagreements: string[] = [];
    for (let b = 0; b < 256; b++) {
      const c = String.fromCharCode(b);
      const variants: Array<[string, IncomingMessage]> = [
        ['value', request('GET', '/', ['Host', 'a', 'X-Test', `x${c}y`])],
        ['name', request('GET', '/', ['Host', 'a', `X${c}Test`, 'v'])],
        ['path', request('GET', `/a${c}b`, ['Host', 'a'])],
      ];
      for (const [where, req] of variants) {
        const undici = undiciRefuses(req);
        if (checkRefuses(req) !== undici) {
          disagreements.push(`0x${b.toString(16)} in the ${where}: undici ${undici ? 'refuses' : 'accepts'}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });

  it('refuses whatever undici refuses among requests node:http lets through', () => {
    const cases: Array<[string, IncomingMessage]> = [
      ['two Host headers', request('GET', '/', ['Host', 'a', 'Host', 'b'])],
      ['two Host headers of another case', request('GET', '/', ['host', 'a', 'HOST', 'a'])],
      ['the target *', request('OPTIONS', '*', ['Host', 'a'])],
      ['a host:port target', request('GET', 'a:80', ['Host', 'a'])],
      [
        'two Content-Length',
        request('POST', '/', ['Host', 'a', 'Content-Length', '1', 'Content-Length', '1']),
      ],
      ['a Content-Length that is no number', request('POST', '/', ['Host', 'a', 'Content-Length', '+1'])],
      ['a method that is no token', request('G(T', '/', ['Host', 'a'])],
    ];
    for (const [name, req] of cases) {
      expect([name, undiciRefuses(req)]).toEqual([name, true]);
      expect([name, checkRefuses(req)]).toEqual([name, true]);
    }
  });

  it('lets through what a proxy forwards as is', () => {
    const cases: Array<[string, IncomingMessage]> = [
      ['a plain GET', request('GET', '/a?b=c', ['Host', 'a', 'Accept', '*/*'])],
      ['no Host (HTTP/1.0)', request('GET', '/', [])],
      ['an empty Host', request('GET', '/', ['Host', ''])],
      ['an absolute-form target', request('GET', 'http://a/b', ['Host', 'a'])],
      ['a chunked body', request('POST', '/', ['Host', 'a', 'Transfer-Encoding', 'chunked'])],
      [
        'hop-by-hop fields the proxy drops',
        request('GET', '/', ['Host', 'a', 'Keep-Alive', 'x', 'Expect', 'y']),
      ],
      ['Latin-1 text and tabs in a value', request('GET', '/', ['Host', 'a', 'X-Note', 'caf\u00e9\t\u00ff'])],
    ];
    for (const [name, req] of cases) {
      expect([name, undiciRefuses(req)]).toEqual([name, false]);
      expect([name, checkRefuses(req)]).toEqual([name, false]);
    }
  });
});
