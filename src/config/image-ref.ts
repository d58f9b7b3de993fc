// Container image references (the grammar of the distribution project, which Docker and Podman
// follow): `[host[:port]/]path[:tag][@sha256:…]`. gantry.yaml's `run.image` is a repository; a
// version is a tag of it, or a digest once the server has pulled it. Pure functions only.

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const REFERENCE = new RegExp(
  `^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);
const TAG_PATTERN = new RegExp(`^${TAG}$`);
export const DIGEST_PATTERN = new RegExp(`^${DIGEST}$`);

/** The longest image reference accepted (the distribution project's limit on a name is 255). */
export const MAX_IMAGE_REFERENCE_LENGTH = 255;

export interface ImageReference {
  /** Registry host and path, without tag or digest: `127.0.0.1:5000/shop-api`. */
  repository: string;
  /** The registry host[:port], when the reference names one (a first part with `.`, `:` or `localhost`). */
  registry?: string;
  tag?: string;
  digest?: string;
}

/** The parts of an image reference, or undefined when it is not one. */
export function parseImageReference(text: string): ImageReference | undefined {
  if (text.length > MAX_IMAGE_REFERENCE_LENGTH) return undefined;
  const match = REFERENCE.exec(text);
  if (!match) return undefined;
  const [, first, rest = '', tag, digest] = match;
  // `shop/api` is a path on the default registry; `registry.local/api`, `host:5000/api` and
  // `localhost/api` name a registry (Docker's rule), so a lone lowercase word stays a path.
  const isRegistry = first !== undefined && (/[.:[]/.test(first) || first === 'localhost');
  if (first !== undefined && !isRegistry && !new RegExp(`^${COMPONENT}$`).test(first)) return undefined;
  const repository = first === undefined ? rest : `${first}/${rest}`;
  return {
    repository,
    ...(isRegistry ? { registry: first } : {}),
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** Whether a version string can be an image tag (letters, digits, `_ . -`, at most 128, not starting with `.` or `-`). */
export function isImageTag(version: string): boolean {
  return TAG_PATTERN.test(version);
}

/** `repo:version`, the default image of a version when `run.image` is the repository. */
export function imageOfVersion(repository: string, version: string): string {
  return `${repository}:${version}`;
}

/** `repo@sha256:…`: the reference that always names the same bytes. */
export function pinImage(image: string, digest: string): string {
  const parsed = parseImageReference(image);
  return `${parsed?.repository ?? image}@${digest}`;
}
