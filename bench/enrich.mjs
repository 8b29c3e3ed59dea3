// Launcher for bench/enrich.ts: bundles it (esbuild, already a dev dependency through vitest)
// two levels below the package root, where schemas/ resolve as from dist/.
//
// The read_committed fix (src/kafka/read-committed.ts) must run before kafkajs loads. In one
// bundle it cannot: esbuild hoists `import … from "kafkajs"` (external) above all bundled code,
// so ES module evaluation loads kafkajs first. It is bundled alone and imported first instead.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'test-output', 'bench');
await mkdir(outDir, { recursive: true });
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' };
const fix = join(outDir, 'enrich-read-committed.mjs');
await build({ ...common, entryPoints: [join(root, 'src', 'kafka', 'read-committed.ts')], outfile: fix });
const outfile = join(outDir, 'enrich.mjs');
await build({ ...common, entryPoints: [join(root, 'bench', 'enrich.ts')], outfile });
await import(pathToFileURL(fix).href);
await import(pathToFileURL(outfile).href);
