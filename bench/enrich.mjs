// Launcher for bench/enrich.ts: bundles it (esbuild, already a dev dependency through vitest)
// two levels below the package root, where schemas/ resolve as from dist/.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'test-output', 'bench', 'enrich.mjs');
await mkdir(dirname(outfile), { recursive: true });
await build({
  entryPoints: [join(root, 'bench', 'enrich.ts')],
  outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning',
});
await import(pathToFileURL(outfile).href);
