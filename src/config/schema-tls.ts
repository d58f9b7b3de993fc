// An environment's `tls:`: a certificate from files, or one obtained through ACME for the
// environment's `hosts`, with the rules ACME needs from the rest of the environment.
import { keyIssue, listenAddress, mapping, text, textMatching, whenFieldsValid } from './fields.ts';
import type { TlsConfig } from './types.ts';

/** Let's Encrypt's production directory: where certificates come from unless `directory` says otherwise. */
export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

const EMAIL = /^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/;

function isHttpsUrl(value: string): boolean {
  return URL.canParse(value) && new URL(value).protocol === 'https:';
}

const acmeSchema = mapping({
  email: textMatching(EMAIL, 'expected an email address, like ops@example.com').meta({
    description:
      'Contact of the ACME account: the CA writes here about expiring certificates and policy changes.',
  }),
  directory: text('an ACME directory URL')
    .refine(isHttpsUrl, {
      error: `expected an https URL of an ACME directory, like ${LETS_ENCRYPT_DIRECTORY}`,
    })
    .default(LETS_ENCRYPT_DIRECTORY)
    .meta({ description: "The CA's ACME directory URL (Let's Encrypt production by default)." }),
  ca_file: text('a PEM file path').optional().meta({
    description:
      "PEM certificates that the directory's own HTTPS certificate chains to, for a private ACME CA; relative to gantry.yaml's directory.",
  }),
});

export const tlsSchema = mapping({
  cert: text('a certificate file path').optional().meta({
    description: "PEM certificate (with its chain); relative to gantry.yaml's directory; reloaded on change.",
  }),
  key: text('a key file path').optional().meta({
    description: "PEM private key of the certificate; relative to gantry.yaml's directory.",
  }),
  acme: acmeSchema.optional().meta({
    description:
      "Obtain and renew the certificate of the environment's `hosts` through ACME (HTTP-01 on the plain listener).",
  }),
  redirect_http: listenAddress()
    .optional()
    .meta({ description: 'Also listen here for plain HTTP and redirect it to HTTPS.' }),
})
  .superRefine((tls, ctx) => {
    if (tls.acme && (tls.cert !== undefined || tls.key !== undefined)) {
      const key = tls.cert !== undefined ? 'cert' : 'key';
      ctx.addIssue(
        keyIssue([key], '`acme` and `cert`/`key` exclude each other: ACME obtains the certificate itself'),
      );
    } else if (!tls.acme && (tls.cert === undefined || tls.key === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          tls.cert === undefined && tls.key === undefined
            ? 'expected `cert` and `key` (certificate files), or `acme: { email }` to obtain one'
            : `missing required key: ${tls.cert === undefined ? 'cert' : 'key'}`,
      });
    }
  }, whenFieldsValid)
  .transform(
    (tls): TlsConfig => ({
      ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
      ...(tls.key !== undefined ? { key: tls.key } : {}),
      ...(tls.acme ? { acme: tls.acme } : {}),
      ...(tls.redirect_http !== undefined ? { redirect_http: tls.redirect_http } : {}),
    }),
  );

/** Problems of ACME against the rest of the environment: what to certify, where challenges are answered. */
export function acmeIssues(env: {
  hosts?: string[] | undefined;
  tls?: TlsConfig | undefined;
}): Array<{ path: PropertyKey[]; message: string }> {
  if (!env.tls?.acme) return [];
  if (!env.hosts) {
    return [
      {
        path: ['tls', 'acme'],
        message: 'ACME needs the names to certify: list them in `hosts`, like hosts: [api.example.com]',
      },
    ];
  }
  const issues = env.hosts
    .map((host, i) => ({ host, i }))
    .filter(({ host }) => host.startsWith('*.'))
    .map(({ host, i }) => ({
      path: ['hosts', i],
      message: `'${host}' is a wildcard, which ACME issues only through DNS-01 and Gantry answers HTTP-01: list the names, or use tls.cert/tls.key`,
    }));
  if (env.tls.redirect_http === undefined) {
    issues.push({
      path: ['tls'],
      message:
        'ACME answers its HTTP-01 challenges on the plain listener: set `redirect_http`, usually 0.0.0.0:80 (the CA connects to port 80)',
    });
  }
  return issues;
}
