// Limits on names that travel in request bodies, webhook payloads and URL paths alike, in one
// place: a name accepted in one must work in the others.

/** Longest version name (a tag's own name, a commit prefix, or one given with --version). */
export const MAX_VERSION_NAME_LENGTH = 128;
export const VERSION_NAME_PATTERN = new RegExp(`^[A-Za-z0-9._+-]{1,${MAX_VERSION_NAME_LENGTH}}$`);
export const VERSION_NAME_RULE = `letters, digits, . _ + - (at most ${MAX_VERSION_NAME_LENGTH})`;

/**
 * Longest path parameter the API routes at all (Fastify's maxParamLength, 100 by default, answered
 * 414 to every URL naming a version of 101–128 characters). Well above every name limit, so a name
 * too long is refused by its route's schema with a 400 that names the limit.
 */
export const MAX_PATH_PARAM_LENGTH = 1024;
