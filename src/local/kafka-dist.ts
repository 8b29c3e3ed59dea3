import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { LocalStackError } from './errors.js';
import { localAsset } from './paths.js';

/** Must match kafka.version in local/kafka/pom.xml. */
export const KAFKA_VERSION = '4.3.1';

export interface KafkaDist {
  /** Directory holding the jars. */
  readonly libsDir: string;
  /** A `-cp` value (`<libs>/*`, expanded by the JVM itself). */
  readonly classpath: string;
  /** Our log4j2 config; every Kafka JVM gets it. */
  readonly log4jConfig: string;
  readonly source: 'KAFKA_HOME' | 'cache' | 'maven';
}

export interface EnsureKafkaDistOptions {
  /** Usually `process.env.KAFKA_HOME`: an unpacked Kafka distribution whose `libs/` is used as is. */
  readonly kafkaHome?: string | undefined;
  /** Shared cache; jars go to `<cacheDir>/kafka-<version>/libs`. */
  readonly cacheDir: string;
  /** Usually `process.env.PATH`, to find `mvn`. */
  readonly pathEnv?: string | undefined;
  readonly log?: ((msg: string) => void) | undefined;
}

const FALLBACK_HINT =
  'Alternatively set KAFKA_HOME to an unpacked Kafka 4.x distribution (https://kafka.apache.org/downloads), ' +
  'or skip the local Kafka by pointing KAFKA_BROKERS at an existing cluster.';

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

async function hasKafkaJars(libsDir: string): Promise<boolean> {
  try {
    const names = await readdir(libsDir);
    return names.some((n) => /^kafka_2\.1\d-.*\.jar$/.test(n)) && names.some((n) => n.startsWith('kafka-clients-'));
  } catch {
    return false;
  }
}

function runMaven(mvn: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(mvn, args, { cwd, timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (err) reject(Object.assign(err, { output }));
      else resolvePromise(output);
    });
  });
}

/**
 * Makes the Kafka jars available: `KAFKA_HOME/libs` if given, else the cache, filled once by Maven
 * (the cache records which pom produced it, so it is reused offline and refreshed only when the
 * pom changes).
 */
export async function ensureKafkaDist(opts: EnsureKafkaDistOptions): Promise<KafkaDist> {
  const log4jConfig = localAsset('kafka', 'log4j2.xml');
  if (opts.kafkaHome !== undefined && opts.kafkaHome !== '') {
    const libsDir = join(opts.kafkaHome, 'libs');
    if (!(await hasKafkaJars(libsDir))) {
      throw new LocalStackError(`KAFKA_HOME is ${opts.kafkaHome} but ${libsDir} holds no Kafka jars. Point KAFKA_HOME at an unpacked Kafka 4.x distribution or unset it.`);
    }
    return { libsDir, classpath: join(libsDir, '*'), log4jConfig, source: 'KAFKA_HOME' };
  }

  const pom = localAsset('kafka', 'pom.xml');
  const pomText = await readFile(pom, 'utf8');
  const pomHash = createHash('sha256').update(pomText).digest('hex');
  const home = join(opts.cacheDir, `kafka-${KAFKA_VERSION}`);
  const libsDir = join(home, 'libs');
  const marker = join(home, 'complete');
  const dist: KafkaDist = { libsDir, classpath: join(libsDir, '*'), log4jConfig, source: 'cache' };

  if ((await readFile(marker, 'utf8').catch(() => '')).trim() === pomHash && (await hasKafkaJars(libsDir))) return dist;

  const mvn = await findOnPath('mvn', opts.pathEnv);
  if (mvn === undefined) {
    throw new LocalStackError(
      `The Kafka ${KAFKA_VERSION} jars are not in ${libsDir} yet and fetching them needs Maven (\`mvn\`), which is not on PATH. ` +
        `Install Maven (e.g. \`apt-get install maven\` or \`brew install maven\`) and run again; it is needed once. ${FALLBACK_HINT}`,
    );
  }

  await mkdir(home, { recursive: true });
  // Fetch into a private directory and rename at the end, so an interrupted or concurrent fetch
  // never leaves a half-filled libs/ that looks complete.
  const work = join(home, `fetch-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    // Run on a copy of the pom: the package may be installed read-only.
    await copyFile(pom, join(work, 'pom.xml'));
    opts.log?.(`Fetching the Kafka ${KAFKA_VERSION} jars with Maven into ${libsDir} (once)…`);
    try {
      await runMaven(
        mvn,
        ['-q', '-B', '-Dstyle.color=never', '-f', 'pom.xml', 'dependency:copy-dependencies', '-DoutputDirectory=libs', '-DincludeScope=runtime'],
        work,
      );
    } catch (err) {
      const output = String((err as { output?: string }).output ?? '').trim().split('\n').slice(-15).join('\n');
      throw new LocalStackError(`Maven could not fetch the Kafka ${KAFKA_VERSION} jars (${(err as Error).message.split('\n')[0]}).\n${output}\n${FALLBACK_HINT}`);
    }
    if (!(await hasKafkaJars(join(work, 'libs')))) throw new LocalStackError(`Maven finished but no Kafka jars appeared in ${join(work, 'libs')}. ${FALLBACK_HINT}`);
    await rm(libsDir, { recursive: true, force: true });
    try {
      await rename(join(work, 'libs'), libsDir);
    } catch (err) {
      // Another process finished first; its copy is as good as ours.
      if (!(await hasKafkaJars(libsDir))) throw err;
    }
    await writeFile(marker, `${pomHash}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { ...dist, source: 'maven' };
}
