import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles a TypeScript entry into test-output/warehouse-child/, two levels below the package
 * root like dist/warehouse, so schemas/ and the migrations resolve as they do after `tsc`.
 *
 * esbuild hoists the imports of external packages above all the code it inlines, so in a bundle
 * kafkajs would load before src/kafka/read-committed.ts replaces its filter (the order
 * src/kafka/kafkajs.ts relies on, and read-committed.ts refuses to run without). The fix is
 * therefore bundled on its own and imported by the bundle's first line.
 */
export async function bundleEntry(entry: string, name: string): Promise<string> {
  const root = resolve(import.meta.dirname, '..', '..', '..');
  const outDir = join(root, 'test-output', 'warehouse-child');
  await mkdir(outDir, { recursive: true });
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'silent' } as const;
  await build({ ...common, entryPoints: [join(root, 'src', 'kafka', 'read-committed.ts')], outfile: join(outDir, 'read-committed.mjs') });
  const outfile = join(outDir, `${name}.mjs`);
  await build({ ...common, entryPoints: [join(root, entry)], outfile, banner: { js: "import './read-committed.mjs';" } });
  return outfile;
}
