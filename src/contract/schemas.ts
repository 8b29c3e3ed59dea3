import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

// schemas/ sits at the package root both in the repo (src/contract → ../../schemas) and when
// installed (dist/contract → ../../schemas), so one relative path serves both.
export const schemaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

export type SchemaDocument = Record<string, unknown> & { $id: string };

let cache: SchemaDocument[] | undefined;

export function loadSchemas(): SchemaDocument[] {
  cache ??= readdirSync(schemaDir)
    .filter((file) => file.endsWith('.schema.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as SchemaDocument);
  return cache;
}
