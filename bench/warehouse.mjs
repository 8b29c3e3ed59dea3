// Launcher for bench/warehouse.ts: bundles it (esbuild, already a dev dependency through vitest)
// two levels below the package root, where schemas/ and the SQL migrations resolve as from dist/.
// esbuild hoists external imports above the inlined code, so kafkajs's read_committed fix
// (src/kafka/read-committed.ts, which must load before kafkajs) is bundled apart and imported first.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'test-output', 'bench');
const outfile = join(outDir, 'warehouse.mjs');
await mkdir(outDir, { recursive: true });
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' };
await build({ ...common, entryPoints: [join(root, 'src', 'kafka', 'read-committed.ts')], outfile: join(outDir, 'read-committed.mjs') });
await build({ ...common, entryPoints: [join(root, 'bench', 'warehouse.ts')], outfile, banner: { js: "import './read-committed.mjs';" } });
await import(pathToFileURL(outfile).href);
