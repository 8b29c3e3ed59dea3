import { createServer } from 'node:net';

/** Whether a TCP port can be listened on at `host` right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolvePromise(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolvePromise(true));
    });
  });
}

/** A port the OS reports free now (it may be taken again before use; fine for tests). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error('no port assigned')) : resolvePromise(port)));
    });
  });
}

export interface FreePortBaseOptions {
  readonly min?: number;
  readonly max?: number;
  readonly attempts?: number;
  readonly host?: string;
}

/**
 * A base port such that `base + offset` is free for every offset, for stacks whose ports follow a
 * fixed scheme (see kafka-topology.ts). Bases are drawn below Linux's ephemeral range (32768+) so
 * outgoing connections do not grab them in the meantime.
 */
export async function findFreePortBase(offsets: readonly number[], opts: FreePortBaseOptions = {}): Promise<number> {
  const min = opts.min ?? 20_000;
  const span = Math.max(0, ...offsets);
  const max = (opts.max ?? 32_000) - span;
  const attempts = opts.attempts ?? 200;
  for (let i = 0; i < attempts; i++) {
    const base = min + Math.floor(Math.random() * (max - min));
    let free = true;
    for (const offset of offsets) {
      if (!(await isPortFree(base + offset, opts.host))) {
        free = false;
        break;
      }
    }
    if (free) return base;
  }
  throw new Error(`no free port block for offsets ${offsets.join(',')} in ${min}-${max + span} after ${attempts} attempts`);
}
