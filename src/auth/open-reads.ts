// Reads still being answered, by the credentials that opened them: a live stream (release events,
// log tail) was authorized once, when it opened, and would otherwise outlive the revocation or
// expiry of its token, or the logout of its session. When those credentials end, the connection
// is cut; the client's reconnection then meets the 401. Only reads are cut: a change that was
// allowed when it started runs to its end and gets its answer.
import type { ServerResponse } from 'node:http';
import type { EndedCredentials } from './service.ts';

/** setTimeout's longest delay; a later end is waited for in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

interface OpenRead {
  res: ServerResponse;
  tokenId: string;
  session: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class OpenReads {
  readonly #open = new Set<OpenRead>();

  /** Follows `res` until it closes; cuts it at `endsAt` (ISO time) if it is still open then. */
  add(res: ServerResponse, who: { tokenId: string; session?: string; endsAt: string | null }): void {
    const read: OpenRead = { res, tokenId: who.tokenId, session: who.session, timer: undefined };
    this.#open.add(read);
    res.once('close', () => {
      clearTimeout(read.timer);
      this.#open.delete(read);
    });
    if (who.endsAt !== null) this.#cutAt(read, Date.parse(who.endsAt));
  }

  /** Cuts every read opened with credentials that just ended. */
  end(ended: EndedCredentials): void {
    for (const read of this.#open) {
      if ('tokenId' in ended ? read.tokenId === ended.tokenId : read.session === ended.session) cut(read);
    }
  }

  #cutAt(read: OpenRead, at: number): void {
    if (Number.isNaN(at)) return;
    const delay = at - Date.now();
    if (delay <= 0) {
      cut(read);
      return;
    }
    read.timer = setTimeout(() => this.#cutAt(read, at), Math.min(delay, MAX_DELAY_MS));
    read.timer.unref();
  }
}

function cut(read: OpenRead): void {
  clearTimeout(read.timer);
  if (!read.res.destroyed) read.res.destroy();
}
