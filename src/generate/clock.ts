/**
 * Time sources. The simulation never reads a clock (it runs on event time); these only decide
 * *when* its events are released: paced to the wall clock, or as fast as possible.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** A clock for tests: time moves only when `advance` is called, waking sleepers in order. */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: { wakeAt: number; resolve: () => void }[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = { wakeAt: this.current + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
    });
  }

  /** Moves time forward, resolving every sleep that ends by then; awaits so woken code can run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = this.sleepers.filter((s) => s.wakeAt <= target).sort((a, b) => a.wakeAt - b.wakeAt)[0];
      if (!next) break;
      this.current = Math.max(this.current, next.wakeAt);
      this.sleepers = this.sleepers.filter((s) => s !== next);
      next.resolve();
      // Let the woken task run (and maybe sleep again) before looking for the next sleeper.
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
    this.current = target;
  }

  get pendingSleeps(): number {
    return this.sleepers.length;
  }
}

/**
 * Event time on a wall clock: `start` when created, then running `speed` times faster than the
 * clock underneath (`--speed 60` turns a wall minute into an hour of event time).
 */
export class EventTimeClock {
  private readonly wallStart: number;

  constructor(private readonly clock: Clock, readonly startMs: number, readonly speed = 1) {
    if (!(speed > 0)) throw new Error('speed must be positive');
    this.wallStart = clock.now();
  }

  now(): number {
    return this.startMs + (this.clock.now() - this.wallStart) * this.speed;
  }

  /** Wall milliseconds until event time reaches `eventMs`. */
  wallDelayUntil(eventMs: number): number {
    return Math.max(0, (eventMs - this.now()) / this.speed);
  }

  sleepWall(ms: number, signal?: AbortSignal): Promise<void> {
    return this.clock.sleep(ms, signal);
  }
}
