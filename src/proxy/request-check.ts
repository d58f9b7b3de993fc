// Requests the proxy refuses before they reach a backend's connection pool, because they are
// malformed or because undici would refuse to send them. Node's parser already answers 400 to most
// malformed heads; what it lets through and undici throws on (two Host headers, an `OPTIONS *`
// target) once made a 502 that cost a pool connection for good: 128 such requests and the
// environment hung. The rules below restate undici's own (lib/core/request.js: path, method,
// header names and values, one Host, one Content-Length of digits) and add RFC 9112's for bodies
// whose length a proxy cannot tell reliably, so that nothing undici would throw on is dispatched.
// The answer is the proxy's own, recorded with no version: it is never a version's error.
import type { IncomingMessage } from 'node:http';
import { errorBody, type ProxyErrorResponse } from './error-responses.ts';

/** What is wrong with a request, as told to its client. */
export interface MalformedRequest {
  status: 400 | 501;
  message: string;
  hint: string;
}

// RFC 9110 §5.6.2 token: what undici accepts as a header name or method.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5 field-vchar, SP and HTAB: what undici accepts in a header value (obs-fold excluded).
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
// undici refuses a path with a control character, a space or a character past U+00FF.
const INVALID_PATH_CHAR = /[^\u0021-\u00ff]/;
const DIGITS = /^[0-9]+$/;

/**
 * The defect of `req` that makes it unfit to forward, or undefined when it can go to a backend.
 * `upgrade`: the request asks to switch protocols (its head goes out with no body).
 */
export function checkRequestHead(req: IncomingMessage, upgrade: boolean): MalformedRequest | undefined {
  const method = req.method ?? '';
  if (!TOKEN.test(method)) {
    return malformed('the request method is not a valid HTTP token', 'Send a standard method (GET, POST…).');
  }
  const url = req.url ?? '';
  if (!(url.startsWith('/') || url.startsWith('http://') || url.startsWith('https://'))) {
    return malformed(
      'the request target is neither a path (/…) nor an absolute http(s) URL',
      'Send a target starting with /; the proxy does not forward `*` or host:port targets.',
    );
  }
  if (INVALID_PATH_CHAR.test(url)) {
    return malformed(
      'the request target contains a space, a control character or a character past U+00FF',
      'Percent-encode such characters in the path and query.',
    );
  }
  let hosts = 0;
  let lengths = 0;
  let transferEncoding: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (!TOKEN.test(name)) {
      return malformed('a header name is not a valid HTTP token', 'Remove the header or fix its name.');
    }
    if (INVALID_VALUE_CHAR.test(value)) {
      return malformed(
        `the value of the ${name} header contains a control character`,
        'Remove control characters (other than tab) from header values.',
      );
    }
    // Names are compared by length first: most headers are none of these three.
    if (name.length === 4 && name.toLowerCase() === 'host') {
      if (++hosts > 1) {
        return malformed('the request has more than one Host header', 'Send exactly one Host header.');
      }
    } else if (name.length === 14 && name.toLowerCase() === 'content-length') {
      if (++lengths > 1 || !DIGITS.test(value)) {
        return malformed(
          'the request has more than one Content-Length header, or one that is not a number',
          'Send one Content-Length with the body size in bytes.',
        );
      }
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
    }
  }
  if (transferEncoding !== undefined) {
    const defect = checkTransferEncoding(transferEncoding, lengths > 0);
    if (defect) return defect;
  }
  if (upgrade && (lengths > 0 || transferEncoding !== undefined) && req.headers['content-length'] !== '0') {
    return malformed(
      'a request that asks to switch protocols (Upgrade) cannot carry a body',
      'Send the Upgrade request without a body.',
    );
  }
  return undefined;
}

/** RFC 9112 §6.1 and §6.3: only `chunked` is understood, and it must come last, alone with its length. */
function checkTransferEncoding(value: string, hasLength: boolean): MalformedRequest | undefined {
  if (hasLength) {
    return malformed(
      'the request has both Transfer-Encoding and Content-Length',
      'Send one of them: Content-Length for a body of known size, Transfer-Encoding: chunked otherwise.',
    );
  }
  const codings = value.split(',').map((c) => c.trim().toLowerCase());
  if (codings[codings.length - 1] !== 'chunked') {
    return malformed(
      'the request body length cannot be determined: chunked is not its last transfer coding',
      'Send Transfer-Encoding: chunked, or a Content-Length.',
    );
  }
  if (codings.length > 1) {
    return {
      status: 501,
      message: 'the request uses a transfer coding other than chunked, which the proxy does not implement',
      hint: 'Send Transfer-Encoding: chunked only (use Content-Encoding to compress a body).',
    };
  }
  return undefined;
}

function malformed(message: string, hint: string): MalformedRequest {
  return { status: 400, message, hint };
}

/** The proxy's answer to a malformed request. */
export function malformedResponse(defect: MalformedRequest): ProxyErrorResponse {
  return {
    status: defect.status,
    kind: 'malformed_request',
    body: errorBody(defect.status === 400 ? 'BAD_REQUEST' : 'NOT_IMPLEMENTED', defect.message, defect.hint),
  };
}

/** The answer to a request that passed the check but that undici refused to send all the same. */
export function unsendableResponse(): ProxyErrorResponse {
  return malformedResponse({
    status: 400,
    message: 'the request cannot be forwarded as sent',
    hint: 'Check the request line and headers for duplicates and invalid characters.',
  });
}
