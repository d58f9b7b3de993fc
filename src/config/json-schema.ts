// The JSON Schema of gantry.yaml, generated from the zod schema that validates it. It describes
// the input side (what users write: `5m`, `1%`, `rolling`), so editors complete and check it.
import { z } from 'zod';
import { gantryConfigSchema } from './schema.ts';

export const SCHEMA_ID = 'urn:gantry:schema:gantry.yaml';

/** Where the generated file lives, relative to the repository root (shipped in the package). */
export const SCHEMA_FILE = 'schema/gantry.schema.json';

/** Where a running server serves the same schema (GET, no token needed). */
export const SCHEMA_URL_PATH = '/api/v1/schema/gantry.json';

export function generateJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(gantryConfigSchema, { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: SCHEMA_ID,
    title: 'gantry.yaml',
    ...rest,
  };
}

/** The file's exact text: 2-space JSON with a final newline. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(generateJsonSchema(), null, 2)}\n`;
}
