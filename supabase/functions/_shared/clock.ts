/**
 * Time as a dependency: handlers and policies take a Clock so tests control time without sleeping.
 */

export interface Clock {
  /** Wall-clock time, for timestamps written to tables. */
  now(): Date;
  /** Milliseconds on a monotonic timer, for durations and latency (never goes backwards). */
  monotonicMs(): number;
  /** Waits `ms` milliseconds (tests pass a fake that only advances time). */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonicMs: () => performance.now(),
  sleep: (ms) => ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock that moves only when told to: `sleep` advances it instantly. For tests and deterministic runs. */
export class ManualClock implements Clock {
  #ms: number;
  readonly sleeps: number[] = [];

  constructor(startMs = Date.UTC(2024, 0, 1)) {
    this.#ms = startMs;
  }

  now(): Date {
    return new Date(this.#ms);
  }

  monotonicMs(): number {
    return this.#ms;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance needs ms >= 0, got ${ms}`);
    this.#ms += ms;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.advance(Math.max(0, ms));
    return Promise.resolve();
  }
}
