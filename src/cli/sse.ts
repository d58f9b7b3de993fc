// A Server-Sent Events parser (WHATWG HTML §9.2 "event stream interpretation") over a byte stream.

export interface SseMessage {
  event: string;
  data: string;
  /** The last event id seen on the stream so far (ids persist across messages). */
  id: string | undefined;
  /** Reconnection delay the server asked for, in ms. */
  retry: number | undefined;
}

export async function* parseSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  let event = '';
  let data: string[] = [];
  let lastId: string | undefined;
  let retry: number | undefined;

  for await (const line of splitLines(body)) {
    if (line === '') {
      if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id: lastId, retry };
      event = '';
      data = [];
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
  }
  // A message not terminated by a blank line is incomplete and, per the spec, dropped.
}

/** Lines ended by CRLF, LF or CR, decoded as UTF-8 across chunk boundaries; an unterminated tail is dropped. */
async function* splitLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let start = 0;
  for await (const chunk of body) {
    buffer = buffer.slice(start) + decoder.decode(chunk, { stream: true });
    start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A CR that ends the chunk may be the first half of a CRLF: decide with the next chunk.
      if (c === 13 && i === buffer.length - 1) break;
      yield buffer.slice(start, i);
      if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
  }
  const tail = buffer.slice(start);
  if (tail.endsWith('\r')) yield tail.slice(0, -1);
}
