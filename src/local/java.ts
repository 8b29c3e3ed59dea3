import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { LocalStackError } from './errors.js';

const execFileAsync = promisify(execFile);

/** Kafka 4.x brokers and controllers refuse to start on anything older. */
export const MIN_JAVA_MAJOR = 17;

export interface JavaRuntime {
  /** Absolute path of the `java` executable. */
  readonly path: string;
  /** Major version, e.g. 17 or 25. */
  readonly major: number;
  /** The first line `java -version` printed, for messages. */
  readonly description: string;
}

export interface FindJavaOptions {
  /** Usually `process.env.JAVA_HOME`; when set it wins over PATH, as with Kafka's own scripts. */
  readonly javaHome?: string | undefined;
  /** Usually `process.env.PATH`. */
  readonly pathEnv?: string | undefined;
}

const INSTALL_HINT =
  `Install a JDK or JRE ${MIN_JAVA_MAJOR} or newer (e.g. \`apt-get install openjdk-${MIN_JAVA_MAJOR}-jre-headless\`, ` +
  '`brew install openjdk@21`, or Eclipse Temurin) and put it on PATH or set JAVA_HOME; ' +
  'or skip the local Kafka by pointing KAFKA_BROKERS at an existing cluster.';

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Parses the major version from `java -version` output ("1.8.0_392" → 8, "17.0.15" → 17). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "([^"]+)"/.exec(versionOutput);
  const version = m?.[1];
  if (version === undefined) return undefined;
  const parts = version.split(/[.+_-]/);
  const first = Number(parts[0]);
  if (!Number.isInteger(first)) return undefined;
  if (first === 1) {
    const second = Number(parts[1]);
    return Number.isInteger(second) ? second : undefined;
  }
  return first;
}

/** Finds a `java` able to run Kafka 4 (JAVA_HOME first, then PATH) or throws a LocalStackError saying what to install. */
export async function findJava(opts: FindJavaOptions): Promise<JavaRuntime> {
  let candidate: string | undefined;
  if (opts.javaHome !== undefined && opts.javaHome !== '') {
    candidate = join(opts.javaHome, 'bin', 'java');
    if (!(await isExecutable(candidate))) {
      throw new LocalStackError(`JAVA_HOME is ${opts.javaHome} but ${candidate} is not an executable. Fix JAVA_HOME or unset it. ${INSTALL_HINT}`);
    }
  } else {
    for (const dir of (opts.pathEnv ?? '').split(delimiter)) {
      if (dir === '') continue;
      const file = join(dir, 'java');
      if (await isExecutable(file)) {
        candidate = file;
        break;
      }
    }
    if (candidate === undefined) throw new LocalStackError(`No \`java\` found on PATH and JAVA_HOME is not set. ${INSTALL_HINT}`);
  }

  let output: string;
  try {
    // `java -version` writes to stderr.
    const { stdout, stderr } = await execFileAsync(candidate, ['-version'], { timeout: 30_000 });
    output = `${stderr}${stdout}`;
  } catch (err) {
    throw new LocalStackError(`${candidate} -version failed: ${(err as Error).message}. ${INSTALL_HINT}`);
  }
  const major = parseJavaMajor(output);
  const description = output.split('\n')[0]?.trim() ?? '';
  if (major === undefined) throw new LocalStackError(`Cannot tell the Java version of ${candidate} from: ${description}`);
  if (major < MIN_JAVA_MAJOR) {
    throw new LocalStackError(`${candidate} is Java ${major}; Kafka 4 needs Java ${MIN_JAVA_MAJOR} or newer. ${INSTALL_HINT}`);
  }
  return { path: candidate, major, description };
}
