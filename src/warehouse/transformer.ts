import type { PgSession } from './session.js';
import { transformNextBatch } from './sink.js';

/**
 * Runs the transform step on its own connection while the loader stages the next batches:
 * the two are separate transactions, so Postgres works on both at once. `nudge` after each
 * staged batch; `drain` waits until nothing staged is left untransformed.
 */
export class Transformer {
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private failure: unknown;
  transformed = 0;

  constructor(private readonly session: PgSession) {}

  start(): void {
    this.running ??= this.loop();
  }

  nudge(): void {
    this.wake?.();
  }

  /** Throws the transformer's failure, if it has failed, so the loader stops at the next batch. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Transforms everything staged so far, then stops the loop. */
  async drain(): Promise<void> {
    this.stopping = true;
    this.nudge();
    await this.running;
    this.running = undefined;
    this.stopping = false;
    this.check();
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const done = await this.session.run((c) => transformNextBatch(c));
        if (done !== null) {
          this.transformed += 1;
          continue;
        }
        if (this.stopping) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          // Batches staged by another loader arrive without a nudge.
          setTimeout(resolve, 1_000).unref();
        });
        this.wake = undefined;
      }
    } catch (error) {
      this.failure = error;
    }
  }
}
