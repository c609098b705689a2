/**
 * Retry policy for safe exchange reads. Only TemporaryExchangeError and RateLimitedError are retried; final and
 * needs-human errors (and anything untranslated) are thrown at once. Never wrap order placement in this.
 */
import {
  CircuitOpenError,
  DeadlinePassedError,
  isNotSentError,
  isRetryableExchangeError,
  RateLimitedError,
} from "./errors.ts";

/** The time a caller has left (a burst's budget). Calls and retries that would start after it are not made. */
export interface Deadline {
  /** Milliseconds left; <= 0 once the deadline has passed. */
  remainingMs(): number;
}

export interface RetryEvent {
  /** The attempt that just failed (1-based). */
  attempt: number;
  /** How long we wait before the next attempt. */
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  /** Total attempts including the first (>= 1). Default 3. */
  attempts?: number;
  /** Backoff base: attempt n waits about baseDelayMs * 2^(n-1). Default 250. */
  baseDelayMs?: number;
  /** Cap on a single wait. A Retry-After longer than this ends the retries (we cannot honour it in budget). Default 5000. */
  maxDelayMs?: number;
  /** Injected so tests do not wait. Default: setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for the jitter. Default Math.random. */
  random?: () => number;
  onRetry?: (event: RetryEvent) => void;
  /** Optional per-venue breaker: checked before each attempt, fed with each outcome. */
  breaker?: CircuitBreaker;
  /** Optional deadline: no attempt starts after it, and no retry whose wait would reach it. */
  deadline?: Deadline;
}

export const DEFAULT_RETRY = { attempts: 3, baseDelayMs: 250, maxDelayMs: 5000 } as const;

const realSleep = (ms: number) => ms <= 0 ? Promise.resolve() : new Promise<void>((r) => setTimeout(r, ms));

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so waits never collapse to zero but
 * concurrent callers still spread out. A venue's Retry-After is a floor.
 */
export function backoffDelayMs(
  attempt: number,
  options: { baseDelayMs: number; maxDelayMs: number; random: () => number; retryAfterMs?: number },
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = step / 2 + options.random() * (step / 2);
  return Math.round(Math.max(jittered, options.retryAfterMs ?? 0));
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_RETRY.attempts;
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`attempts must be an integer >= 1, got ${attempts}`);
  }
  if (!(baseDelayMs >= 0)) throw new RangeError(`baseDelayMs must be >= 0, got ${baseDelayMs}`);
  if (!(maxDelayMs >= baseDelayMs)) throw new RangeError(`maxDelayMs must be >= baseDelayMs, got ${maxDelayMs}`);
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const breaker = options.breaker;

  for (let attempt = 1;; attempt++) {
    // A retry waited at least the venue's Retry-After; timers may fire a hair early, so finish that wait here
    // rather than fail on a breaker that opened for exactly the same time.
    const stillOpenMs = attempt > 1 ? breaker?.openRemainingMs() ?? 0 : 0;
    if (stillOpenMs > 0 && stillOpenMs <= maxDelayMs) await sleep(stillOpenMs);
    breaker?.assertClosed();
    assertBeforeDeadline(options.deadline);
    try {
      const result = await fn(attempt);
      breaker?.recordSuccess();
      return result;
    } catch (error) {
      // Not sent (our limiter refused it inside the budget): the venue did nothing to count or to retry.
      if (isNotSentError(error)) throw error;
      const retryable = isRetryableExchangeError(error);
      if (retryable) breaker?.recordFailure(error);
      if (!retryable || attempt >= attempts) throw error;
      const retryAfterMs = error instanceof RateLimitedError ? error.retryAfterMs : undefined;
      if (retryAfterMs !== undefined && retryAfterMs > maxDelayMs) throw error;
      const delayMs = backoffDelayMs(attempt, { baseDelayMs, maxDelayMs, random, retryAfterMs });
      // A retry that could only start after the deadline is not worth the wait: give up with the real error.
      if (options.deadline && delayMs >= options.deadline.remainingMs()) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/** Throws DeadlinePassedError when `deadline` has passed (no request is made after it). */
export function assertBeforeDeadline(deadline: Deadline | undefined): void {
  if (deadline && deadline.remainingMs() <= 0) throw new DeadlinePassedError();
}

export interface CircuitBreakerOptions {
  /** Consecutive temporary/rate-limit failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open. Default 30 000 ms. */
  coolDownMs?: number;
  /** Monotonic ms clock, injected. */
  nowMs: () => number;
}

/**
 * Per-venue circuit breaker: after `failureThreshold` consecutive retryable failures, refuse calls for `coolDownMs`
 * (CircuitOpenError), then let one trial call through (half-open); a success closes it, a failure re-opens it.
 * A rate-limit answer with Retry-After opens it at once for that long (at least): a venue that said "not before T"
 * (Binance 429/418) gets no request before T, and calling during a 418 ban only lengthens the ban.
 * Pure apart from the injected clock.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  #nowMs: () => number;
  #consecutiveFailures = 0;
  #openedAtMs: number | null = null;
  /** How long the current opening lasts: coolDownMs, or the venue's Retry-After when longer. */
  #openForMs = 0;

  constructor(readonly key: string, options: CircuitBreakerOptions) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.coolDownMs = options.coolDownMs ?? 30_000;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be an integer >= 1, got ${this.failureThreshold}`);
    }
    this.#nowMs = options.nowMs;
  }

  get state(): "closed" | "open" | "half_open" {
    if (this.#openedAtMs === null) return "closed";
    return this.#nowMs() - this.#openedAtMs >= this.#openForMs ? "half_open" : "open";
  }

  /** Milliseconds until an open circuit half-opens; 0 when it is not open. */
  openRemainingMs(): number {
    if (this.state !== "open") return 0;
    return Math.max(0, this.#openForMs - (this.#nowMs() - (this.#openedAtMs ?? 0)));
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** Throws CircuitOpenError while open. */
  assertClosed(): void {
    if (this.state === "open") {
      throw new CircuitOpenError(this.key, this.#openForMs - (this.#nowMs() - (this.#openedAtMs ?? 0)));
    }
  }

  recordSuccess(): void {
    this.#consecutiveFailures = 0;
    this.#openedAtMs = null;
  }

  /** Counts a retryable failure; `error` (optional) may carry the venue's Retry-After. */
  recordFailure(error?: unknown): void {
    this.#consecutiveFailures++;
    const now = this.#nowMs();
    const stillOpenMs = this.state === "open" ? this.#openForMs - (now - (this.#openedAtMs ?? now)) : 0;
    // At or past the threshold (a failed half-open trial included: failures only reset on a success): cool down.
    let openForMs = this.#consecutiveFailures >= this.failureThreshold ? this.coolDownMs : 0;
    const retryAfterMs = error instanceof RateLimitedError ? error.retryAfterMs ?? 0 : 0;
    openForMs = Math.max(openForMs, retryAfterMs, stillOpenMs);
    if (openForMs > 0) {
      this.#openedAtMs = now;
      this.#openForMs = openForMs;
    }
  }
}
