// Extra trust for a private ACME CA's directory (`tls.acme.ca_file`): its HTTPS certificate is
// checked against those PEM certificates instead of Node's bundled roots. The trust applies to
// requests of the ACME client to that directory's origin only, nowhere else in the process.
import { Agent } from 'node:https';
import type acmeClient from 'acme-client';
import { requireOnUse } from '../lib/require-on-use.ts';

const agents = new Map<string, Agent>();
let installed = false;

/** Requests of the ACME client to `directoryUrl`'s origin trust `caPem` (and only it). */
export function trustDirectory(directoryUrl: string, caPem: string): void {
  const origin = new URL(directoryUrl).origin;
  agents.get(origin)?.destroy();
  agents.set(origin, new Agent({ ca: caPem }));
  if (installed) return;
  installed = true;
  requireOnUse<typeof acmeClient>('acme-client').axios.interceptors.request.use((request) => {
    const agent =
      request.url && URL.canParse(request.url) ? agents.get(new URL(request.url).origin) : undefined;
    if (agent) request.httpsAgent = agent;
    return request;
  });
}
