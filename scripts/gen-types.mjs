// Generates src/contract/generated/*.ts from schemas/*.schema.json, so the JSON Schemas stay the
// one source of truth for event shapes. `--check` fails (used by `npm run lint`) when the
// committed types no longer match the schemas.
import { compileFromFile } from 'json-schema-to-typescript';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

const check = process.argv.includes('--check');
const schemaDir = new URL('../schemas/', import.meta.url).pathname;
const outDir = new URL('../src/contract/generated/', import.meta.url).pathname;
await mkdir(outDir, { recursive: true });

const files = (await readdir(schemaDir)).filter((f) => f.endsWith('.schema.json')).sort();
const stale = [];
for (const file of files) {
  const ts = await compileFromFile(join(schemaDir, file), {
    cwd: schemaDir,
    bannerComment: `/* Generated from schemas/${file} by scripts/gen-types.mjs. Do not edit: edit the schema and run \`npm run gen:types\`. */`,
    additionalProperties: false,
    unreachableDefinitions: true,
    style: { singleQuote: true, printWidth: 110 },
  });
  const target = join(outDir, file.replace('.schema.json', '.ts'));
  if (check) {
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current !== ts) stale.push(target);
  } else {
    await writeFile(target, ts);
  }
}
if (stale.length > 0) {
  console.error(`Generated types are out of date with schemas/: ${stale.join(', ')}\nRun: npm run gen:types`);
  process.exit(1);
}
