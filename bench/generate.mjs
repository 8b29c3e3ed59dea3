// Launcher for bench/generate.ts. The harness runs from the sources through vite-node (a dev
// dependency through vitest); the generator it measures is the built CLI, bin/ridehail.js, whose Kafka
// sink starts its producer thread from dist/generate/kafka-worker.js; dist/ is rebuilt first when
// it is older than src/.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function built() {
  try {
    return statSync(join(root, 'dist', 'generate', 'kafka-worker.js')).mtimeMs >= newest(join(root, 'src'));
  } catch {
    return false;
  }
}

// An explicit RIDEHAIL_BENCH_CLI (say, the bin/ridehail.js of an older checkout) is measured as is.
if (!process.env['RIDEHAIL_BENCH_CLI'] && !built()) {
  console.log('dist/ is older than src/: npm run build');
  spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (!built()) {
    console.error('the build did not bring dist/ up to date; fix it, or set RIDEHAIL_BENCH_CLI to a built bin/ridehail.js');
    process.exit(1);
  }
}
const env = { ...process.env, RIDEHAIL_BENCH_CLI: process.env['RIDEHAIL_BENCH_CLI'] ?? join(root, 'bin', 'ridehail.js') };
const harness = spawnSync(process.execPath, [join(root, 'node_modules', 'vite-node', 'vite-node.mjs'), join(root, 'bench', 'generate.ts')], { cwd: root, env, stdio: 'inherit' });
process.exit(harness.status ?? 1);
