import type { Clock } from "../../supabase/functions/_shared/clock.ts";

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
