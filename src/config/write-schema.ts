// `npm run schema`: writes schema/gantry.schema.json from the zod schema.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderJsonSchema, SCHEMA_FILE } from './json-schema.ts';

const root = path.resolve(import.meta.dirname, '../..');
const target = path.join(root, SCHEMA_FILE);
await writeFile(target, renderJsonSchema());
console.log(`wrote ${SCHEMA_FILE}`);
