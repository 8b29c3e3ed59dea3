import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Name of the directory, under a project root, that holds everything `ridehail local` creates. */
export const STACK_DIR_NAME = '.ridehail';

export interface StackPaths {
  /** The stack directory itself, e.g. `<project>/.ridehail`. */
  readonly root: string;
  /** Persistent data: `data/kafka/<node>/`, `data/postgres/`. */
  readonly data: string;
  /** One `<process>.log` (+ `<process>.out` for raw stdout/stderr) per process. */
  readonly logs: string;
  /** One `<process>.pid` per process `up` started; `down` acts on these and nothing else. */
  readonly pids: string;
  /** What `up` created (cluster id, counts, ports), so later commands act on the same stack. */
  readonly stateFile: string;
  readonly kafkaData: string;
  readonly postgresData: string;
}

/** The stack directory for a project root: `<root>/.ridehail`. */
export function stackDirFor(projectRoot: string): string {
  return join(resolve(projectRoot), STACK_DIR_NAME);
}

/** Layout of a stack directory (as returned by {@link stackDirFor} or configured explicitly). */
export function stackPaths(stackDir: string): StackPaths {
  const root = resolve(stackDir);
  const data = join(root, 'data');
  return {
    root,
    data,
    logs: join(root, 'logs'),
    pids: join(root, 'pids'),
    stateFile: join(root, 'stack.json'),
    kafkaData: join(data, 'kafka'),
    postgresData: join(data, 'postgres'),
  };
}

/**
 * Where downloads shared by all projects go (the Kafka jars). `env` is passed in rather than read
 * so callers decide which environment counts.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv, home: string = homedir()): string {
  const fromEnv = env['RIDEHAIL_CACHE'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(home, '.cache'), 'ridehail');
}

let packageRootCache: string | undefined;

/**
 * The installed ridehail package root (the directory with our package.json). Files shipped under
 * `local/` are found from here, because this module runs both from `src/` (tsx, vitest) and from
 * `dist/src/` after a build, at different depths.
 */
export function packageRoot(): string {
  if (packageRootCache !== undefined) return packageRootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown };
        if (pkg.name === 'ridehail') {
          packageRootCache = dir;
          return dir;
        }
      } catch {
        // Not ours (or unreadable); keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot locate the ridehail package root (package.json named "ridehail")');
    dir = parent;
  }
}

/** A file shipped with the package under `local/`, e.g. `localAsset('kafka', 'pom.xml')`. */
export function localAsset(...segments: string[]): string {
  return join(packageRoot(), 'local', ...segments);
}
