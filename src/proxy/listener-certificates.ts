// The certificates of an HTTPS listener, which several routes may share: each route's files
// (`tls.certFile`/`keyFile`, serving the route's hosts) and the PEM pairs it was given for named
// hosts (`tls.certificates`, e.g. from ACME). The certificate for a connection is chosen by SNI:
// an exact name, then the longest wildcard, else the listener's default (the first route's files,
// or its first certificate).
import { createSecureContext, type SecureContext } from 'node:tls';
import { buildHostTable, type HostTable, lookupHost, normalizeHostName } from './host-table.ts';
import { loadTlsMaterial, type TlsFiles, type TlsMaterial, tlsMaterialFromPem } from './tls-material.ts';
import type { EnvironmentRoute } from './types.ts';

export interface ServedCertificate {
  readonly environment: string;
  readonly hosts: readonly string[];
  /** Set for a pair read from files, which are watched for renewals. */
  readonly files: TlsFiles | undefined;
  material: TlsMaterial;
  context: SecureContext;
}

export interface ListenerCertificates {
  /** What the routes asked for, to tell whether an apply changed it. */
  readonly signature: string;
  readonly all: readonly ServedCertificate[];
  readonly fallback: ServedCertificate;
  readonly byHost: HostTable<ServedCertificate>;
}

/** A stable description of the certificates `routes` ask for (file paths and PEM text). */
export function certificateSignature(routes: readonly EnvironmentRoute[]): string {
  return JSON.stringify(
    routes.map((r) => {
      const tls = r.edge?.tls;
      return [r.hosts ?? [], tls?.certFile, tls?.keyFile, tls?.certificates ?? []];
    }),
  );
}

/**
 * Reads and checks every certificate `routes` ask for; throws a TlsFileError naming the one at
 * fault, or an Error when there is none at all.
 */
export function loadListenerCertificates(routes: readonly EnvironmentRoute[]): ListenerCertificates {
  const given: ServedCertificate[] = [];
  const fromFiles: ServedCertificate[] = [];
  for (const route of routes) {
    const tls = route.edge?.tls;
    if (!tls) continue;
    for (const pem of tls.certificates ?? []) {
      given.push(served(route.environment, pem.hosts, undefined, tlsMaterialFromPem(route.environment, pem)));
    }
    if (tls.certFile !== undefined && tls.keyFile !== undefined) {
      const files = { certFile: tls.certFile, keyFile: tls.keyFile };
      fromFiles.push(
        served(route.environment, route.hosts ?? [], files, loadTlsMaterial(route.environment, files)),
      );
    }
  }
  // Certificates given for named hosts come first: they are the more specific choice for a name.
  const all = [...given, ...fromFiles];
  const fallback = fromFiles[0] ?? given[0];
  if (!fallback) {
    const names = routes.map((r) => r.environment).join(', ');
    throw new Error(
      `environment ${names}: HTTPS needs a certificate: set tls.certFile and tls.keyFile, or tls.certificates`,
    );
  }
  return {
    signature: certificateSignature(routes),
    all,
    fallback,
    byHost: buildHostTable(all.map((c) => ({ hosts: c.hosts, value: c }))),
  };
}

/** The context to serve for a TLS client hello naming `servername`; undefined for the default. */
export function contextForServerName(
  certs: ListenerCertificates,
  servername: string,
): SecureContext | undefined {
  if (servername === '') return undefined;
  const chosen = lookupHost(certs.byHost, normalizeHostName(servername));
  return chosen === undefined || chosen === certs.fallback ? undefined : chosen.context;
}

/** Swaps in a renewed pair for a certificate read from files. */
export function renewCertificate(cert: ServedCertificate, material: TlsMaterial): void {
  cert.material = material;
  cert.context = createSecureContext({ cert: material.cert, key: material.key });
}

function served(
  environment: string,
  hosts: readonly string[],
  files: TlsFiles | undefined,
  material: TlsMaterial,
): ServedCertificate {
  return {
    environment,
    hosts,
    files,
    material,
    context: createSecureContext({ cert: material.cert, key: material.key }),
  };
}
