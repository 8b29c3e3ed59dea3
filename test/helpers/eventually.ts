import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value (anything but undefined) and returns it. A probe that
 * throws counts as "not yet" (the service is still starting); its last error goes into the
 * failure message when `timeoutMs` runs out.
 */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 1_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last !== undefined ? ` (last error: ${(last as Error).message ?? String(last)})` : ''}`);
    }
    await sleep(intervalMs);
  }
}
