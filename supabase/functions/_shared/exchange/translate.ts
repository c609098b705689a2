/**
 * The boundary: every ccxt error becomes one of our four classes (see errors.ts). Subclasses are tested before
 * their parents because ccxt's tree nests them (RateLimitExceeded is a NetworkError, PermissionDenied an
 * AuthenticationError, OrderNotFound an InvalidOrder…).
 */
import {
  AccountNotEnabled,
  AccountSuspended,
  AuthenticationError,
  BadResponse,
  BaseError,
  CancelPending,
  DDoSProtection,
  ExchangeNotAvailable,
  InvalidNonce,
  ManualInteractionNeeded,
  NetworkError,
  OperationFailed,
  PermissionDenied,
  RateLimitExceeded,
  RequestTimeout,
  RestrictedLocation,
} from "ccxt";
import {
  ClockSkewError,
  ExchangeLayerError,
  FinalExchangeError,
  NeedsHumanError,
  RateLimitedError,
  TemporaryExchangeError,
  UnexpectedExchangeError,
} from "./errors.ts";

export interface TranslateContext {
  venue?: string;
  operation?: string;
  /** The exchange's last response headers (ccxt `exchange.last_response_headers`), to read Retry-After. */
  responseHeaders?: Record<string, unknown> | null;
  /** Strings that must never appear in a message (API key, secret, passphrase). */
  secrets?: readonly (string | undefined)[];
  /** For an HTTP-date Retry-After; defaults to Date.now(). */
  nowMs?: number;
}

const MAX_MESSAGE_CHARS = 500;

/**
 * Parses a Retry-After value: delta-seconds ("2", "0.5") or an HTTP date. Returns ms (>= 0) or undefined.
 * Header names are matched case-insensitively because ccxt re-capitalizes them ("Retry-After").
 */
export function retryAfterMsFromHeaders(
  headers: Record<string, unknown> | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === "retry-after");
  const raw = entry?.[1];
  if (typeof raw !== "string" && typeof raw !== "number") return undefined;
  const text = String(raw).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Removes secrets and URL query strings (which carry signatures and timestamps) from an error text, and caps it. */
export function redactMessage(message: string, secrets: readonly (string | undefined)[] = []): string {
  let text = message.replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, "$1?…");
  for (const secret of secrets) {
    if (secret && secret.length >= 4) text = text.split(secret).join("[redacted]");
  }
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/** Translates anything thrown by ccxt (or by the network under it) into our tree. Already-translated errors pass. */
export function translateCcxtError(error: unknown, context: TranslateContext = {}): ExchangeLayerError {
  if (error instanceof ExchangeLayerError) return error;
  const message = redactMessage(error instanceof Error ? error.message : String(error), context.secrets);
  const source = error instanceof Error ? error.constructor.name : typeof error;
  const options = { venue: context.venue, operation: context.operation, source, cause: error };
  const prefix = context.operation ? `${context.operation}: ` : "";

  if (error instanceof RateLimitExceeded || error instanceof DDoSProtection) {
    const retryAfterMs = retryAfterMsFromHeaders(context.responseHeaders, context.nowMs);
    return new RateLimitedError(`${prefix}rate limited (${source}): ${message}`, { ...options, retryAfterMs });
  }
  // Needs a human: keys, permissions, account state, location.
  if (
    error instanceof AuthenticationError || error instanceof PermissionDenied || error instanceof AccountSuspended ||
    error instanceof AccountNotEnabled || error instanceof ManualInteractionNeeded ||
    error instanceof RestrictedLocation
  ) {
    return new NeedsHumanError(`${prefix}${source}: ${message}`, options);
  }
  // A refused timestamp (ccxt's InvalidNonce: Binance -1021, OKX 50102): not executed, and our clock is off.
  if (error instanceof InvalidNonce) {
    return new ClockSkewError(`${prefix}clock skew (${source}): ${message}`, options);
  }
  // The NetworkError family (timeouts, 5xx, maintenance, bad nonce) plus garbled answers and pending cancels:
  // the operation may succeed if repeated.
  if (
    error instanceof NetworkError || error instanceof RequestTimeout || error instanceof ExchangeNotAvailable ||
    error instanceof BadResponse || error instanceof CancelPending || error instanceof OperationFailed
  ) {
    return new TemporaryExchangeError(`${prefix}${source}: ${message}`, options);
  }
  // Every other ccxt error (InvalidOrder, InsufficientFunds, BadSymbol, OrderNotFound, NotSupported,
  // ArgumentsRequired, generic ExchangeError…): the venue understood and refused.
  if (error instanceof BaseError) {
    return new FinalExchangeError(`${prefix}${source}: ${message}`, options);
  }
  // A fetch that failed below ccxt (connection refused, DNS, abort) is network trouble.
  if (error instanceof TypeError && /fetch|network|connect/i.test(message)) {
    return new TemporaryExchangeError(`${prefix}network: ${message}`, options);
  }
  if (error instanceof DOMException && (error.name === "AbortError" || error.name === "TimeoutError")) {
    return new TemporaryExchangeError(`${prefix}timeout: ${message}`, options);
  }
  // Unknown: do not guess that retrying is safe.
  return new UnexpectedExchangeError(`${prefix}unexpected ${source}: ${message}`, options);
}
