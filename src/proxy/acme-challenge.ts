// ACME HTTP-01 answers (RFC 8555 §8.3): a certificate authority checks that it may issue for a
// host by fetching http://<host>/.well-known/acme-challenge/<token> and expecting the key
// authorization the ACME client was given. Plain-HTTP listeners and HTTP→HTTPS redirect listeners
// answer it before routing or redirecting, whatever the host: the authority connects on port 80
// before the host's certificate exists. These answers are not any route's traffic and are not
// recorded.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const ACME_CHALLENGE_PATH = '/.well-known/acme-challenge/';

/** Token → key authorization; undefined when the data plane was given none (the path is routed). */
export type AcmeChallenges = ReadonlyMap<string, string> | undefined;

/** Answers `req` when it asks for an ACME challenge and answers are set; returns whether it did. */
export function answerAcmeChallenge(
  challenges: AcmeChallenges,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const url = req.url;
  if (challenges === undefined || url === undefined || !url.startsWith(ACME_CHALLENGE_PATH)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const token = url.slice(ACME_CHALLENGE_PATH.length);
  const answer = challenges.get(token);
  const body = answer ?? 'No ACME challenge is pending with this token.\n';
  res.writeHead(answer === undefined ? 404 : 200, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  req.resume();
  return true;
}
