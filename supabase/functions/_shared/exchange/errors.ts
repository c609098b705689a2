/**
 * Our exchange error tree. Nothing outside `_shared/exchange/` sees a ccxt error: translate.ts turns each one
 * into one of four classes, and the class alone decides what happens next (see retry.ts):
 *
 * - TemporaryExchangeError: network trouble, timeouts, 5xx, maintenance. Safe reads may be retried.
 * - RateLimitedError: the venue asked us to slow down (429/418). Retried after `retryAfterMs` when known.
 * - FinalExchangeError: the venue understood and said no (invalid order, insufficient funds, bad symbol…). Never
 *   retried; recorded.
 * - NeedsHumanError: keys, permissions, suspended account. Nothing the bot can fix; a person must act.
 */

export type ExchangeErrorKind = "temporary" | "rate_limited" | "final" | "needs_human";

export interface ExchangeErrorOptions {
  /** ccxt venue id, when known. */
  venue?: string;
  /** The exchange-layer call that failed, e.g. `fetchBalances`. */
  operation?: string;
  /** The ccxt class name (or other origin) the error was translated from, e.g. `RequestTimeout`. */
  source?: string;
  cause?: unknown;
}

/** Base of the exchange error tree. `message` must never contain secrets (keys, signatures). */
export abstract class ExchangeLayerError extends Error {
  abstract readonly kind: ExchangeErrorKind;
  readonly venue?: string;
  readonly operation?: string;
  readonly source?: string;

  constructor(message: string, options: ExchangeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.venue = options.venue;
    this.operation = options.operation;
    this.source = options.source;
  }

  /** True for the classes a safe read may retry: temporary and rate-limited. */
  get retryable(): boolean {
    return this.kind === "temporary" || this.kind === "rate_limited";
  }
}

export class TemporaryExchangeError extends ExchangeLayerError {
  readonly kind = "temporary" as const;
  override name = "TemporaryExchangeError";
}

export class RateLimitedError extends ExchangeLayerError {
  readonly kind = "rate_limited" as const;
  override name = "RateLimitedError";
  /** How long the venue asked us to wait (Retry-After), when it said so. */
  readonly retryAfterMs?: number;

  constructor(message: string, options: ExchangeErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

export class FinalExchangeError extends ExchangeLayerError {
  readonly kind = "final" as const;
  override name = "FinalExchangeError";
}

/**
 * Something went wrong that is not a ccxt error (a garbled answer that broke ccxt's parser, a bug): final for reads
 * (retrying will not help), but NOT proof that the venue refused. For an order placement it means "outcome unknown".
 */
export class UnexpectedExchangeError extends FinalExchangeError {
  override name = "UnexpectedExchangeError";
}

export class NeedsHumanError extends ExchangeLayerError {
  readonly kind = "needs_human" as const;
  override name = "NeedsHumanError";
}

/** The circuit breaker for a venue is open: we refuse to call it until the cool-down ends. Temporary by nature. */
export class CircuitOpenError extends TemporaryExchangeError {
  override name = "CircuitOpenError";
  constructor(readonly venueKey: string, readonly retryInMs: number) {
    super(`${venueKey}: circuit open after repeated failures; next attempt allowed in ${Math.ceil(retryInMs)} ms`, {
      venue: venueKey,
      source: "circuit_breaker",
    });
  }
}

/**
 * The caller's time budget is spent: the call was not made. Temporary by nature (the next burst may make it); like
 * CircuitOpenError it is raised before any request leaves, so an order refused this way was never sent.
 */
export class DeadlinePassedError extends TemporaryExchangeError {
  override name = "DeadlinePassedError";
  constructor(message = "the time budget is spent; no request was sent") {
    super(message, { source: "deadline" });
  }
}

/**
 * The venue refused the request's timestamp (Binance -1021 outside recvWindow, OKX 50102 expired): it checks the
 * timestamp before anything else, so nothing was executed. Our clock is off from the venue's; the client re-reads the
 * venue's time and tries once more before raising this (issue 14).
 */
export class ClockSkewError extends TemporaryExchangeError {
  override name = "ClockSkewError";
}

/** The venue never acted on the call: breaker open or budget spent (not sent), or its timestamp refused. */
export function isNotSentError(error: unknown): boolean {
  return error instanceof CircuitOpenError || error instanceof DeadlinePassedError || error instanceof ClockSkewError;
}

export function isRetryableExchangeError(error: unknown): error is TemporaryExchangeError | RateLimitedError {
  return error instanceof ExchangeLayerError && error.retryable;
}

/** The venue does not know this order (ccxt OrderNotFound, translated to a final error by the exchange layer). */
export function isOrderNotFound(error: unknown): boolean {
  return error instanceof FinalExchangeError &&
    (error.source === "OrderNotFound" || /order ?not ?found|does not exist/i.test(error.message));
}
