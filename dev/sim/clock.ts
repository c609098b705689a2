// The simulator's market time: epoch milliseconds from an injected clock, so tests can move time by hand.

/** Wall-clock source in epoch milliseconds; tests inject a ManualClock. */
export interface Clock {
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2025, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/** A venue's own clock: the market clock shifted by an offset the admin API can change (a venue whose time differs). */
export class OffsetClock implements Clock {
  constructor(private readonly base: Clock, public offsetMs = 0) {}
  now(): number {
    return this.base.now() + this.offsetMs;
  }
}
