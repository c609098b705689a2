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
