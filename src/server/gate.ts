/**
 * Bounded concurrency with a bounded queue, for the server's responses: at most `maxActive` run at once,
 * up to `maxQueued` more wait their turn in arrival order, and anything beyond that is refused at once
 * (the caller answers 503 with Retry-After) instead of piling up memory. A slot is held until the
 * caller releases it, which the server does when the response has finished or its connection closed.
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly maxActive: number, readonly maxQueued: number) {
    if (!(Number.isInteger(maxActive) && maxActive >= 1)) throw new RangeError(`maxActive must be a positive integer, got ${maxActive}`);
    if (!(Number.isInteger(maxQueued) && maxQueued >= 0)) throw new RangeError(`maxQueued must be a non-negative integer, got ${maxQueued}`);
  }

  /** responses running now */
  get running(): number {
    return this.active;
  }

  /** responses waiting for a slot */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `start` now or when a slot frees, handing it a release function to call exactly once (later
   * calls do nothing). Returns false, without calling `start`, when the queue is full.
   */
  enter(start: (release: () => void) => void): boolean {
    if (this.active >= this.maxActive && this.waiting.length >= this.maxQueued) return false;
    const run = () => {
      this.active++;
      let released = false;
      start(() => {
        if (released) return;
        released = true;
        this.active--;
        this.waiting.shift()?.();
      });
    };
    if (this.active < this.maxActive) run();
    else this.waiting.push(run);
    return true;
  }
}
