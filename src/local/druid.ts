/**
 * A local single-machine Apache Druid, assembled from Maven Central artifacts (Druid's binary
 * tarball is not reachable everywhere): `lib/` is druid-services and its runtime dependencies,
 * each extension directory is the extension and its own dependencies, fetched once with Maven
 * into a cache. ZooKeeper runs from the same jars (Druid depends on zookeeper-3.8.4).
 *
 * Processes (one JVM each): zookeeper, coordinator-overlord, broker, historical, indexer (runs
 * ingestion tasks as threads, so no Peon JVMs), router. Metadata lives in PostgreSQL when a URL is
 * given (through our own extension, built from local/druid/extensions/ridehail-postgresql-metadata:
 * no PostgreSQL extension compatible with Druid 33.0.0 is served), else in Derby inside the
 * coordinator-overlord. See docs/druid-local.md.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { access, constants, copyFile, cp, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LocalStackError } from './errors.js';
import { localAsset } from './paths.js';

/** Must match druid.version in local/druid/pom.xml and local/druid/extensions/{name}/pom.xml. */
export const DRUID_VERSION = '33.0.0';

/** Extension directories fetched into `extensions/`; all of them are always loaded. */
export const DRUID_EXTENSIONS = ['druid-kafka-indexing-service', 'druid-datasketches'] as const;

/**
 * Our own extension (metadata storage type `postgresql`), built with Maven from
 * local/druid/extensions/<name>/ into `extensions/<name>`; loaded only when metadata is in PostgreSQL.
 */
export const DRUID_POSTGRES_METADATA_EXTENSION = 'ridehail-postgresql-metadata';

/** Database created in the given Postgres for Druid's tables, unless told otherwise. */
export const DRUID_METADATA_DATABASE = 'druid';

/**
 * Environment variable the Druid JVMs read the metadata password from (an `environment` password
 * provider), so the password is never written into DATA_DIR/conf.
 */
export const DRUID_METADATA_PASSWORD_ENV = 'RIDEHAIL_DRUID_METADATA_PASSWORD';

/** Druid services in start order; `conf` is the directory under local/druid/conf. */
export const DRUID_SERVICES = [
  { conf: 'coordinator-overlord', cli: 'coordinator', port: 'coordinator' },
  { conf: 'broker', cli: 'broker', port: 'broker' },
  { conf: 'historical', cli: 'historical', port: 'historical' },
  { conf: 'indexer', cli: 'indexer', port: 'indexer' },
  { conf: 'router', cli: 'router', port: 'router' },
] as const;

/** A Druid service's directory under local/druid/conf, e.g. `indexer`. */
export type DruidServiceConf = (typeof DRUID_SERVICES)[number]['conf'];

export interface DruidPorts {
  readonly router: number;
  readonly coordinator: number;
  readonly broker: number;
  readonly historical: number;
  readonly indexer: number;
  /** Derby network server inside the coordinator-overlord (metadata store; unused with PostgreSQL). */
  readonly derby: number;
}

/** Default ports, relative to the router's: router+1 coordinator-overlord, … router+5 Derby. */
export const DRUID_PORT_OFFSETS: Readonly<Record<keyof DruidPorts, number>> = {
  router: 0,
  coordinator: 1,
  broker: 2,
  historical: 3,
  indexer: 4,
  derby: 5,
};

/** Flags Druid needs on Java 17 (docs/operations/java.md); without them: ExceptionInInitializerError. */
export const DRUID_JAVA_MODULE_FLAGS: readonly string[] = [
  '--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED',
];

/** Marker put on every command line we start, so a stale pid is never mistaken for ours. */
export const DRUID_PROCESS_MARKER = '-Dridehail.local=druid';

const FALLBACK_HINT = 'Alternatively point the dashboard at an existing Druid (its router URL) instead of starting a local one.';

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, pathEnv: string | undefined): Promise<string | undefined> {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    if (await exists(file, constants.X_OK)) return file;
  }
  return undefined;
}

async function hasJar(dir: string, prefix: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((n) => n.startsWith(prefix) && n.endsWith('.jar'));
  } catch {
    return false;
  }
}

/** Maven's output directory, if someone built in the source tree: not source. */
const BUILD_OUTPUT = 'target';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name === BUILD_OUTPUT) continue;
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out.sort();
}

/** Hash of a source tree (relative paths and contents), so any edit triggers a rebuild. */
async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await filesUnder(dir)) hash.update(relative(dir, file)).update('\0').update(await readFile(file)).update('\0');
  return hash.digest('hex');
}

function runMaven(mvn: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(mvn, args, { cwd, timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (err) reject(Object.assign(err, { output }));
      else resolvePromise(output);
    });
  });
}

/** The POMs that define the distribution: [relative output dir, pom path]. */
function distributionPoms(): Array<[string, string]> {
  return [
    ['lib', localAsset('druid', 'pom.xml')],
    ...DRUID_EXTENSIONS.map((name): [string, string] => [join('extensions', name), localAsset('druid', 'extensions', name, 'pom.xml')]),
  ];
}

async function isComplete(home: string): Promise<boolean> {
  if (!(await hasJar(join(home, 'lib'), `druid-services-${DRUID_VERSION}`))) return false;
  for (const name of DRUID_EXTENSIONS) {
    if (!(await hasJar(join(home, 'extensions', name), `${name}-${DRUID_VERSION}`))) return false;
  }
  return true;
}

function mavenFailure(what: string, err: unknown): LocalStackError {
  const output = String((err as { output?: string }).output ?? '').trim().split('\n').slice(-15).join('\n');
  return new LocalStackError(`Maven could not ${what} (${(err as Error).message.split('\n')[0]}).\n${output}\n${FALLBACK_HINT}`);
}

async function requireMaven(home: string, what: string): Promise<string> {
  const mvn = await findOnPath('mvn', process.env['PATH']);
  if (mvn === undefined) {
    throw new LocalStackError(
      `${what} is not in ${home} yet and making it needs Maven (\`mvn\`), which is not on PATH. ` +
        `Install Maven (e.g. \`apt-get install maven\` or \`brew install maven\`) and run again; it is needed once. ${FALLBACK_HINT}`,
    );
  }
  return mvn;
}

/**
 * Makes `<cacheDir>/druid-<version>/{lib,extensions/<name>}` exist, running Maven once (about
 * 200 MB; a minute on a fast link), and builds our PostgreSQL metadata extension into
 * `extensions/`. Both record a hash of what produced them (the POMs; the extension's source), so
 * they are reused offline and redone only when that changes. Returns the directory.
 */
export async function ensureDruidDistribution(cacheDir: string, log: (msg: string) => void): Promise<string> {
  const home = join(cacheDir, `druid-${DRUID_VERSION}`);
  await fetchDistribution(home, log);
  await buildPostgresMetadataExtension(home, log);
  return home;
}

async function fetchDistribution(home: string, log: (msg: string) => void): Promise<void> {
  const marker = join(home, 'complete');
  const poms = distributionPoms();
  const hash = createHash('sha256');
  for (const [out, pom] of poms) hash.update(out).update('\0').update(await readFile(pom)).update('\0');
  const pomHash = hash.digest('hex');

  if ((await readFile(marker, 'utf8').catch(() => '')).trim() === pomHash && (await isComplete(home))) return;

  const mvn = await requireMaven(home, `The Druid ${DRUID_VERSION} distribution`);

  await mkdir(home, { recursive: true });
  // Fetch into a private directory and move the results at the end, so an interrupted or
  // concurrent fetch never leaves a half-filled lib/ that looks complete.
  const work = join(home, `fetch-${process.pid}-${Date.now()}`);
  try {
    log(`Fetching Apache Druid ${DRUID_VERSION} (lib + ${DRUID_EXTENSIONS.length} extensions) with Maven into ${home} (once)…`);
    for (const [out, pom] of poms) {
      // Run on a copy of each pom: the package may be installed read-only.
      const pomDir = join(work, 'poms', out);
      await mkdir(pomDir, { recursive: true });
      await copyFile(pom, join(pomDir, 'pom.xml'));
      try {
        await runMaven(
          mvn,
          ['-q', '-B', '-Dstyle.color=never', '-f', 'pom.xml', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(work, out)}`],
          pomDir,
        );
      } catch (err) {
        throw mavenFailure(`fetch Druid ${DRUID_VERSION} ${out}`, err);
      }
    }
    await rm(join(work, 'poms'), { recursive: true, force: true });
    if (!(await isComplete(work))) throw new LocalStackError(`Maven finished but ${work} does not hold a complete Druid distribution. ${FALLBACK_HINT}`);
    for (const out of ['lib', 'extensions']) {
      await rm(join(home, out), { recursive: true, force: true });
      try {
        await rename(join(work, out), join(home, out));
      } catch (err) {
        // Another process finished first; its copy is as good as ours.
        if (!(await isComplete(home))) throw err;
      }
    }
    await writeFile(marker, `${pomHash}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  log(`Druid ${DRUID_VERSION} is in ${home}.`);
}

function postgresExtensionJar(): string {
  return `${DRUID_POSTGRES_METADATA_EXTENSION}-${DRUID_VERSION}.jar`;
}

/**
 * Compiles our extension and puts it, with the PostgreSQL JDBC driver, in
 * `extensions/ridehail-postgresql-metadata/` (a few seconds with a warm Maven repository). The
 * source hash is kept beside, not inside, that directory: Druid would treat any file in it as
 * part of the extension, and a refetch of `extensions/` must not leave a stale hash behind
 * claiming a build (the jar check catches that).
 */
async function buildPostgresMetadataExtension(home: string, log: (msg: string) => void): Promise<void> {
  const name = DRUID_POSTGRES_METADATA_EXTENSION;
  const source = localAsset('druid', 'extensions', name);
  const dest = join(home, 'extensions', name);
  const marker = join(home, `${name}.source-sha256`);
  const sourceHash = await hashTree(source);
  if ((await readFile(marker, 'utf8').catch(() => '')).trim() === sourceHash && (await exists(join(dest, postgresExtensionJar())))) return;

  const mvn = await requireMaven(home, `Druid's PostgreSQL metadata extension (${name})`);
  const work = join(home, `build-${process.pid}-${Date.now()}`);
  try {
    log(`Building the Druid extension ${name} with Maven…`);
    // Built in a copy: the package may be installed read-only, and target/ must not land in it.
    const srcCopy = join(work, 'src');
    const out = join(work, 'out');
    await cp(source, srcCopy, { recursive: true, filter: (from) => relative(source, from) !== BUILD_OUTPUT });
    try {
      await runMaven(
        mvn,
        ['-q', '-B', '-Dstyle.color=never', '-f', 'pom.xml', 'package', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${out}`],
        srcCopy,
      );
    } catch (err) {
      throw mavenFailure(`build the Druid extension ${name}`, err);
    }
    await copyFile(join(srcCopy, 'target', postgresExtensionJar()), join(out, postgresExtensionJar()));
    await mkdir(join(home, 'extensions'), { recursive: true });
    await rm(dest, { recursive: true, force: true });
    try {
      await rename(out, dest);
    } catch (err) {
      // Another process finished first; its build is of the same source.
      if (!(await exists(join(dest, postgresExtensionJar())))) throw err;
    }
    await writeFile(marker, `${sourceHash}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  log(`Druid extension ${name} is in ${dest}.`);
}

/** Where Druid keeps its metadata; see {@link StartDruidOptions.metadata}. */
export interface DruidMetadataOptions {
  /** A Postgres the Druid JVMs can reach, `postgres://user:password@host:port/db`; its user must be allowed to create a database (or it must exist). */
  readonly postgresUrl: string;
  /** Database for Druid's tables, created in that server when missing. Default {@link DRUID_METADATA_DATABASE}. */
  readonly database?: string | undefined;
}

/** What a Druid JVM needs to reach its PostgreSQL metadata database. */
export interface DruidPostgresMetadata {
  readonly connectURI: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** `postgres://…` URL of the same database, for inspecting Druid's tables. */
  readonly url: string;
}

/**
 * Creates the metadata database in the Postgres at `postgresUrl` unless it exists, and returns the
 * JDBC settings for it. Druid then creates its own tables (`druid.metadata.storage.connector.createTables`).
 */
export async function preparePostgresMetadata(opts: DruidMetadataOptions): Promise<DruidPostgresMetadata> {
  let url: URL;
  try {
    url = new URL(opts.postgresUrl);
  } catch {
    // Not echoed: a malformed URL may still carry a password.
    throw new LocalStackError("Druid's metadata Postgres URL is not a valid URL (want postgres://user:password@host:port/db)");
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new LocalStackError(`Druid's metadata URL must be postgres://… (got ${url.protocol}//…)`);
  const database = opts.database ?? DRUID_METADATA_DATABASE;
  const host = url.hostname === '' || url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
  const port = url.port === '' ? 5432 : Number(url.port);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);

  const client = new pg.Client({ connectionString: opts.postgresUrl, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    // 42P04 duplicate_database / 23505 on pg_database: another start created it between our two statements.
    if (code !== '42P04' && code !== '23505') {
      throw new LocalStackError(`Cannot prepare Druid's metadata database "${database}" in ${host}:${port}: ${(err as Error).message}`);
    }
  } finally {
    await client.end().catch(() => undefined);
  }

  const dbUrl = new URL(url.href);
  dbUrl.pathname = `/${encodeURIComponent(database)}`;
  const sslmode = url.searchParams.get('sslmode');
  // `host` keeps WHATWG URL's brackets around IPv6 addresses, which is also the JDBC form.
  const connectURI = `jdbc:postgresql://${host}:${port}/${encodeURIComponent(database)}${sslmode !== null ? `?sslmode=${encodeURIComponent(sslmode)}` : ''}`;
  return { connectURI, user, password, database, url: dbUrl.href };
}

/** A value for a .properties file, where a backslash starts an escape. */
function propertyValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export interface StartDruidOptions {
  /** As passed to {@link ensureDruidDistribution} (which must have run). */
  readonly cacheDir: string;
  /** Persistent state: deep storage, segment cache, ZooKeeper, task dirs, and the metadata when it is in Derby. */
  readonly dataDir: string;
  /** One `<process>.log` per process (appended). */
  readonly logDir: string;
  readonly zkPort: number;
  readonly routerPort: number;
  /** Other ports; by default routerPort + {@link DRUID_PORT_OFFSETS}. */
  readonly ports?: Partial<Omit<DruidPorts, 'router'>>;
  /**
   * Keep Druid's metadata (segments, supervisors, tasks, rules, ...) in this PostgreSQL, in a
   * database of its own. Without it, metadata is in Derby under `dataDir/derby`. A data dir's
   * segments and tasks belong to one metadata store: do not switch stores on the same data dir.
   */
  readonly metadata?: DruidMetadataOptions | undefined;
  /** A Java 17 (Druid 33 supports 11 and 17; 21 is experimental). Default: `java` on PATH. */
  readonly javaHome?: string | undefined;
  /** How long to wait for every service to report healthy. Default 240 s. */
  readonly timeoutMs?: number;
  readonly log?: ((msg: string) => void) | undefined;
  /**
   * Runtime properties per service, passed as `-D` flags, which Druid ranks above the
   * runtime.properties files: lets a caller size one start without editing the templates.
   */
  readonly properties?: Readonly<Partial<Record<DruidServiceConf, Readonly<Record<string, string>>>>> | undefined;
  /**
   * Called as soon as each process is spawned ('zookeeper' or the service's conf name), before
   * anything is waited for: a caller that records pids there can still stop them if this
   * process is killed while Druid starts.
   */
  readonly onSpawned?: ((name: string, pid: number) => Promise<void> | void) | undefined;
}

export interface StartedDruid {
  /** [zookeeper, coordinator-overlord, broker, historical, indexer, router]. */
  readonly pids: number[];
  readonly routerUrl: string;
  readonly ports: DruidPorts;
  /** Where the metadata is: `postgresql` (with its database) or `derby`. */
  readonly metadata: { readonly type: 'postgresql'; readonly database: string; readonly connectURI: string; readonly url: string } | { readonly type: 'derby'; readonly connectURI: string };
}

/** Fills `${NAME}` placeholders; an unknown name is a bug in the templates, so it throws. */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>, file = 'template'): string {
  return text.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_m, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`${file}: no value for placeholder \${${name}}`);
    return value;
  });
}

/** Non-empty, non-comment lines of a jvm.config. */
export function parseJvmConfig(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

async function renderConfDir(src: string, dest: string, vars: Readonly<Record<string, string>>): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(src, { withFileTypes: true })) {
    const from = join(src, entry.name);
    const to = join(dest, entry.name);
    if (entry.isDirectory()) await renderConfDir(from, to, vars);
    else await writeFile(to, renderTemplate(await readFile(from, 'utf8'), vars, from));
  }
}

async function spawnLogged(command: string, args: string[], cwd: string, logFile: string, env?: NodeJS.ProcessEnv): Promise<number> {
  const out = await open(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', out.fd, out.fd], env: env ?? process.env });
    await Promise.race([
      once(child, 'spawn'),
      once(child, 'error').then(([err]) => {
        throw err as Error;
      }),
    ]);
    if (child.pid === undefined) throw new Error(`${command} did not start`);
    child.unref();
    return child.pid;
  } finally {
    await out.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** ZooKeeper's `ruok` four-letter word; true when it answers `imok`. */
export function zkIsOk(port: number, host = '127.0.0.1', timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    let reply = '';
    const socket = connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('connect', () => socket.write('ruok'));
    socket.on('data', (d) => (reply += d.toString()));
    socket.on('end', () => done(reply.trim() === 'imok'));
    socket.on('error', () => done(false));
  });
}

/** Druid's `/status/health` answers `true` once the service is up. */
export async function druidIsHealthy(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}:${port}/status/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.text()).trim() === 'true';
  } catch {
    return false;
  }
}

async function tail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Starts ZooKeeper, waits for it, then the five Druid services at once (they find each other
 * through ZooKeeper), and waits until each reports healthy. On failure every process started
 * here is stopped again. About 25-50 s on 2 busy cores; ~1.9 GB RSS in all.
 */
export async function startDruid(opts: StartDruidOptions): Promise<StartedDruid> {
  const log = opts.log ?? ((): void => {});
  const home = join(opts.cacheDir, `druid-${DRUID_VERSION}`);
  if (!(await isComplete(home))) throw new LocalStackError(`No Druid distribution in ${home}: run ensureDruidDistribution first.`);
  const java = opts.javaHome !== undefined && opts.javaHome !== '' ? join(opts.javaHome, 'bin', 'java') : 'java';

  const port = (k: keyof DruidPorts): number => (k === 'router' ? opts.routerPort : opts.ports?.[k] ?? opts.routerPort + DRUID_PORT_OFFSETS[k]);
  const ports: DruidPorts = {
    router: port('router'),
    coordinator: port('coordinator'),
    broker: port('broker'),
    historical: port('historical'),
    indexer: port('indexer'),
    derby: port('derby'),
  };

  const dataDir = opts.dataDir;
  const confDir = join(dataDir, 'conf');
  const postgres = opts.metadata !== undefined ? await preparePostgresMetadata(opts.metadata) : undefined;
  if (postgres !== undefined && !(await exists(join(home, 'extensions', DRUID_POSTGRES_METADATA_EXTENSION, postgresExtensionJar())))) {
    throw new LocalStackError(`No ${DRUID_POSTGRES_METADATA_EXTENSION} extension in ${home}: run ensureDruidDistribution first.`);
  }
  for (const d of ['tmp', ...(postgres === undefined ? ['derby'] : []), 'zk', 'segments', 'segment-cache', 'task', 'processing', 'indexing-logs']) {
    await mkdir(join(dataDir, d), { recursive: true });
  }
  await mkdir(opts.logDir, { recursive: true });
  await rm(confDir, { recursive: true, force: true });
  const vars: Record<string, string> = {
    EXTENSIONS_DIR: join(home, 'extensions'),
    EXTENSIONS_LOAD_LIST: JSON.stringify([...DRUID_EXTENSIONS, ...(postgres !== undefined ? [DRUID_POSTGRES_METADATA_EXTENSION] : [])]),
    DATA_DIR: dataDir,
    ZK_PORT: String(opts.zkPort),
    DERBY_PORT: String(ports.derby),
    COORDINATOR_PORT: String(ports.coordinator),
    BROKER_PORT: String(ports.broker),
    HISTORICAL_PORT: String(ports.historical),
    INDEXER_PORT: String(ports.indexer),
    ROUTER_PORT: String(ports.router),
    METADATA_CONNECT_URI: propertyValue(postgres?.connectURI ?? ''),
    METADATA_USER: propertyValue(postgres?.user ?? ''),
    METADATA_PASSWORD_ENV: DRUID_METADATA_PASSWORD_ENV,
  };
  const metadataTemplate = localAsset('druid', 'metadata', postgres !== undefined ? 'postgresql.properties' : 'derby.properties');
  vars['METADATA_STORAGE'] = renderTemplate(await readFile(metadataTemplate, 'utf8'), vars, metadataTemplate).trimEnd();
  await renderConfDir(localAsset('druid', 'conf'), confDir, vars);
  const druidEnv: NodeJS.ProcessEnv = { ...process.env };
  if (postgres !== undefined) druidEnv[DRUID_METADATA_PASSWORD_ENV] = postgres.password;
  else delete druidEnv[DRUID_METADATA_PASSWORD_ENV];

  const libCp = join(home, 'lib', '*');
  const common = join(confDir, '_common');
  const started: Array<{ name: string; pid: number; logFile: string }> = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 240_000);

  const waitFor = async (name: string, pid: number, logFile: string, check: () => Promise<boolean>): Promise<void> => {
    for (;;) {
      if (await check()) return;
      if (!isAlive(pid)) throw new LocalStackError(`Druid ${name} (pid ${pid}) exited during startup. Last lines of ${logFile}:\n${await tail(logFile)}`);
      if (Date.now() > deadline) throw new LocalStackError(`Druid ${name} did not become healthy in time. Last lines of ${logFile}:\n${await tail(logFile)}`);
      await sleep(500);
    }
  };

  try {
    // ZooKeeper, from Druid's own jars.
    const zkLog = join(opts.logDir, 'zookeeper.log');
    const zkJvm = parseJvmConfig(await readFile(join(confDir, 'zookeeper', 'jvm.config'), 'utf8'));
    const zkPid = await spawnLogged(
      java,
      [DRUID_PROCESS_MARKER, ...zkJvm, '-cp', `${common}:${libCp}`, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', join(confDir, 'zookeeper', 'zoo.cfg')],
      dataDir,
      zkLog,
    );
    started.push({ name: 'zookeeper', pid: zkPid, logFile: zkLog });
    await opts.onSpawned?.('zookeeper', zkPid);
    log(`ZooKeeper starting on 127.0.0.1:${opts.zkPort} (pid ${zkPid})`);
    await waitFor('zookeeper', zkPid, zkLog, () => zkIsOk(opts.zkPort));

    for (const svc of DRUID_SERVICES) {
      const logFile = join(opts.logDir, `druid-${svc.conf}.log`);
      const jvm = parseJvmConfig(await readFile(join(confDir, svc.conf, 'jvm.config'), 'utf8'));
      const args = [
        DRUID_PROCESS_MARKER,
        ...jvm,
        ...Object.entries(opts.properties?.[svc.conf] ?? {}).map(([key, value]) => `-D${key}=${value}`),
        ...DRUID_JAVA_MODULE_FLAGS,
        '-cp',
        `${common}:${join(confDir, svc.conf)}:${libCp}`,
        'org.apache.druid.cli.Main',
        'server',
        svc.cli,
      ];
      const pid = await spawnLogged(java, args, dataDir, logFile, druidEnv);
      started.push({ name: svc.conf, pid, logFile });
      await opts.onSpawned?.(svc.conf, pid);
      log(`Druid ${svc.conf} starting on 127.0.0.1:${ports[svc.port]} (pid ${pid})`);
    }
    await Promise.all(
      started.slice(1).map((s, i) => {
        const svc = DRUID_SERVICES[i];
        if (svc === undefined) throw new Error('unreachable');
        return waitFor(s.name, s.pid, s.logFile, () => druidIsHealthy(ports[svc.port]));
      }),
    );
  } catch (err) {
    await stopDruid(started.map((s) => s.pid));
    throw err;
  }
  const routerUrl = `http://127.0.0.1:${ports.router}`;
  log(`Druid is up: ${routerUrl} (metadata in ${postgres !== undefined ? `PostgreSQL database ${postgres.database}` : 'Derby'})`);
  const metadata: StartedDruid['metadata'] =
    postgres !== undefined
      ? { type: 'postgresql', database: postgres.database, connectURI: postgres.connectURI, url: postgres.url }
      : { type: 'derby', connectURI: `jdbc:derby://127.0.0.1:${ports.derby}/metadata.db` };
  return { pids: started.map((s) => s.pid), routerUrl, ports, metadata };
}

/**
 * Whether `pid` still runs a process we started (its command line carries the marker). Where
 * /proc is missing (macOS) we cannot tell and trust the pid.
 */
function isOurs(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(DRUID_PROCESS_MARKER);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' ? isAlive(pid) : process.platform !== 'linux' && isAlive(pid);
  }
}

async function terminate(pids: number[], graceMs: number): Promise<void> {
  const live = pids.filter((pid) => {
    if (!isOurs(pid)) return false;
    try {
      process.kill(pid, 'SIGTERM');
      return true;
    } catch {
      return false;
    }
  });
  const until = Date.now() + graceMs;
  while (live.some(isAlive) && Date.now() < until) await sleep(200);
  for (const pid of live) {
    if (!isAlive(pid) || !isOurs(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Stops what {@link startDruid} started: SIGTERM to the Druid services together (a few seconds),
 * then to ZooKeeper (the first pid) last, since Druid's shutdown still talks to it; SIGKILL for
 * anything still running after `graceMs` per step.
 */
export async function stopDruid(pids: number[], graceMs = 60_000): Promise<void> {
  const [zk, ...druid] = pids;
  await terminate(druid, graceMs);
  if (zk !== undefined) await terminate([zk], graceMs);
}
