import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles a TypeScript entry into test-output/warehouse-child/, two levels below the package
 * root like dist/warehouse, so schemas/ and the migrations resolve as they do after `tsc`.
 */
export async function bundleEntry(entry: string, name: string): Promise<string> {
  const root = resolve(import.meta.dirname, '..', '..', '..');
  const outDir = join(root, 'test-output', 'warehouse-child');
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, `${name}.mjs`);
  await build({ entryPoints: [join(root, entry)], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'silent' });
  return outfile;
}
