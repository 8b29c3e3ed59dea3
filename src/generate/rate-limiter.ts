import type { Clock } from './clock.js';

/**
 * A token bucket: on average `ratePerSecond` items, with bursts of up to `burst` after a quiet
 * spell. Taking more than is available goes into debt and waits it off, so a batch larger than
 * the burst is allowed and still paced.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  readonly burst: number;

  constructor(readonly ratePerSecond: number, private readonly clock: Clock, burst?: number) {
    if (!(ratePerSecond > 0)) throw new Error('rate must be positive');
    this.burst = burst ?? Math.max(1, ratePerSecond / 10);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
  }

  /** How long (ms) a caller taking `count` now would wait. */
  delayFor(count: number): number {
    this.refill();
    const deficit = count - this.tokens;
    return deficit <= 0 ? 0 : (deficit * 1000) / this.ratePerSecond;
  }

  /** Takes `count` tokens, waiting until the bucket has paid for them. */
  async take(count: number, signal?: AbortSignal): Promise<void> {
    this.refill();
    this.tokens -= count;
    if (this.tokens < 0) await this.clock.sleep((-this.tokens * 1000) / this.ratePerSecond, signal);
  }
}
