import packageJson from '../../package.json' with { type: 'json' };

/** Gantry's own version, from package.json. */
export const GANTRY_VERSION: string = packageJson.version;
