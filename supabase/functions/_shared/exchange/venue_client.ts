/**
 * Our small interface over one ccxt exchange instance. Every function talks to venues through this, never through
 * ccxt: each call translates ccxt errors into our tree, reads are retried (withRetry, per-venue breaker), order
 * creation is never retried, and answers from outside are validated with zod before anyone uses them.
 */
import type { Exchange } from "ccxt";
import { z } from "zod";
import {
  ClockSkewError,
  FinalExchangeError,
  isNotSentError,
  isRetryableExchangeError,
  RateLimitedError,
  TemporaryExchangeError,
  UnexpectedExchangeError,
} from "./errors.ts";
import type { RateLimiter, RequestPriority } from "./rate_limiter.ts";
import { assertBeforeDeadline, CircuitBreaker, type Deadline, type RetryOptions, withRetry } from "./retry.ts";
import { translateCcxtError } from "./translate.ts";
import { type Venue, VENUE_PROFILES, type VenueOperation } from "./venues.ts";
import { numberFromText } from "../numeric_text.ts";
import {
  type BinanceOcoExchange,
  binanceOcoParams,
  okxAlgoFromInfo,
  okxOcoParams,
  okxPlacedAlgoId,
  parseBinanceOcoAnswer,
  type ProtectionAlgo,
  type ProtectionListAnswer,
  type ProtectionListRequest,
} from "./protection_orders.ts";

// A type alias, not an interface, so a Balances value is assignable to a jsonb column's Json type as it is.
export type AssetBalance = {
  free: number;
  used: number;
  total: number;
};
/** `{ [asset]: { free, used, total } }`, every asset the venue reported (zeros included). */
export type Balances = Record<string, AssetBalance>;

/** The venue's best bid/ask as it answered (a side may be missing); trading/quote.ts's quoteFromBook makes a Quote. */
export interface VenueQuote {
  symbol: string;
  bid: number | null;
  ask: number | null;
  /** Venue timestamp in ms, when it sent one. */
  timestamp: number | null;
}

export interface OrderRequest {
  symbol: string;
  side: "buy" | "sell";
  type: "limit" | "market";
  amount: number;
  /** Required for limit orders. */
  price?: number;
  /** Ours; sent as the venue's client order id so a lost answer can be reconciled. */
  clientOrderId: string;
}

export interface VenueOrder {
  id: string | null;
  clientOrderId: string | null;
  symbol: string | null;
  side: string | null;
  type: string | null;
  /** ccxt unified status: open, closed, canceled, expired, rejected (null when the venue did not say). */
  status: string | null;
  price: number | null;
  amount: number | null;
  filled: number | null;
  remaining: number | null;
  average: number | null;
  cost: number | null;
  fee: { cost: number | null; currency: string | null } | null;
  timestamp: number | null;
  /** The venue's raw answer (ccxt `info`), for the `orders.raw` column. */
  raw: unknown;
}

export interface VenueTrade {
  id: string | null;
  orderId: string | null;
  symbol: string | null;
  side: string | null;
  price: number;
  amount: number;
  cost: number | null;
  fee: { cost: number | null; currency: string | null } | null;
  timestamp: number | null;
  raw: unknown;
}

export interface VenueClient {
  readonly venue: Venue;
  /** The venue's clock in ms (light public call). `retry: false` makes exactly one request. */
  fetchServerTime(options?: { retry?: boolean }): Promise<number>;
  /**
   * The latency probe: one server-time request, never retried, timed around the HTTP round trip only. Our rate
   * limiter may wait before sending; that wait is ours, not the venue's, so it is left out.
   */
  measureServerTimeRoundTrip(): Promise<{ serverTimeMs: number; roundTripMs: number }>;
  fetchBalances(): Promise<Balances>;
  /** Best bid/ask for `symbols` in one request (Binance bookTicker?symbols=, OKX tickers). */
  fetchQuotes(symbols: readonly string[]): Promise<Record<string, VenueQuote>>;
  /**
   * The markets ccxt knows. With `symbols`, only theirs where the venue allows it (Binance exchangeInfo?symbols=,
   * OKX instruments?instId= per symbol); a symbol the venue does not list is simply missing from the answer.
   */
  loadMarkets(symbols?: readonly string[]): Promise<Exchange["markets"]>;
  /** Sent once, never retried: a timeout means "unknown", which the caller reconciles by client order id. */
  createOrder(order: OrderRequest): Promise<VenueOrder>;
  /**
   * Builds and signs `order` as createOrder would, and sends nothing: the request is stopped before it leaves, so the
   * first real order does not pay for ccxt's order path running for the first time. Takes nothing of our limiter's.
   * Throws when ccxt refused the order before its send (what createOrder would throw).
   */
  rehearseOrder(order: Omit<OrderRequest, "clientOrderId">): Promise<void>;
  fetchOrder(id: string, symbol: string): Promise<VenueOrder>;
  fetchOrderByClientId(clientOrderId: string, symbol: string): Promise<VenueOrder>;
  cancelOrder(id: string, symbol: string): Promise<VenueOrder>;
  fetchOpenOrders(symbol?: string): Promise<VenueOrder[]>;
  /**
   * How many calls of `operation` our limiter would let out now without waiting (Infinity without a limiter): for
   * refreshes that may wait for a later tick rather than hold this one. `leaveOrderReserve` counts only what lies
   * above the share every bucket keeps for orders (as a refresh does): for entries, which leave that share to exits,
   * protection and cancels.
   */
  affordableNow?(operation: VenueOperation, options?: { leaveOrderReserve?: boolean }): number;
  fetchMyTrades(symbol: string, since?: number, limit?: number): Promise<VenueTrade[]>;
  /**
   * Places a take profit and a stop loss as one linked list (protection_orders.ts); sent once, never retried, like
   * createOrder. Absent when the venue's `protection` fact is null.
   */
  createProtectionList?(list: ProtectionListRequest): Promise<ProtectionListAnswer<VenueOrder>>;
  /**
   * Venues whose protection is one algo holding both legs (`order-algo/oco`, OKX). Placed once, never retried; an
   * unreadable answer is an OutcomeUnknownError (look the algo up by `listClientId`). Returns the venue's algo id.
   */
  createProtectionAlgo?(list: ProtectionListRequest): Promise<{ algoId: string }>;
  /** One algo by the venue's id, else by our list client id; a final error (OrderNotFound) when the venue has none. */
  fetchProtectionAlgo?(ref: { algoId: string | null; listClientId: string | null }, symbol: string): Promise<
    ProtectionAlgo
  >;
  /** Every live oco algo of the account, in one request. */
  fetchOpenProtectionAlgos?(): Promise<ProtectionAlgo[]>;
  /** Cancels a live algo (both legs); not retried. A final error when it is no longer live. */
  cancelProtectionAlgo?(algoId: string, symbol: string): Promise<void>;
}

/** What we call on a ccxt instance. Tests pass a fake with these members. */
export type CcxtExchange =
  & Pick<
    Exchange,
    | "fetchTime"
    | "fetchBalance"
    | "fetchBidsAsks"
    | "fetchTickers"
    | "loadMarkets"
    | "createOrder"
    | "fetchOrder"
    | "cancelOrder"
    | "fetchOpenOrders"
    | "fetchMyTrades"
    | "last_response_headers"
    | "fetch"
    | "fetchMarkets"
    | "setMarkets"
    | "markets"
    | "parseTicker"
  >
  // Re-reads the venue's time after a refused timestamp; fakes may leave it out.
  & Partial<Pick<Exchange, "loadTimeDifference">>;

/** OKX's implicit GET /api/v5/market/tickers, as ccxt generates it from its API table. */
type OkxTickersEndpoint = { publicGetMarketTickers(params: Record<string, string>): Promise<unknown> };

export interface VenueClientOptions {
  /** Retry policy for reads (attempts, delays, injected sleep). */
  retry?: Omit<RetryOptions, "breaker">;
  /** Breaker shared by this client's signed calls (and every read when there is no publicBreaker); omit for none. */
  breaker?: CircuitBreaker;
  /**
   * Breaker for public reads (quotes, markets, server time): failing signed calls (a clock skew, a key problem) must
   * not block the quotes an exit is decided on (issue 14). Omit to share `breaker`.
   */
  publicBreaker?: CircuitBreaker;
  /** Strings to scrub from error messages (keys). */
  secrets?: readonly (string | undefined)[];
  /** Monotonic ms for round-trip timing. Default performance.now. */
  nowMs?: () => number;
  /** The caller's time budget: no request (read, retry, order or cancel) starts after it. */
  deadline?: Deadline;
  /** Our limiter for the venue's published limits (ccxt's is off); omit for none (unit tests of other parts). */
  limiter?: RateLimiter;
}

/** A call that must not be repeated failed in a way that says nothing about whether the venue executed it. */
export class OutcomeUnknownError extends TemporaryExchangeError {
  override name = "OutcomeUnknownError";
}

/** The exchange answered something that does not have the shape we need. Temporary: a garbled answer may recover. */
export class InvalidExchangeResponseError extends TemporaryExchangeError {
  override name = "InvalidExchangeResponseError";
}

// ---- validation of what comes back ------------------------------------------------------------------------------

const amount = z.number().finite().nonnegative();
const assetBalanceSchema = z.object({ free: amount, used: amount, total: amount });
const BALANCE_META_KEYS = new Set(["info", "timestamp", "datetime", "free", "used", "total", "debt"]);

function validationMessage(error: z.ZodError, prefix: string): string {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].join(".")}: ${i.message}`).join("; ");
}

/** A number the venue sent as a number or as numeric text; anything else passes through for the checks to refuse. */
function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  return numberFromText(value) as number;
}

/**
 * ccxt's unified balance → `{ asset: { free, used, total } }`. A missing `used` or `total` is derived from the other
 * two (ccxt leaves it undefined when the venue omits it); negatives, NaN or non-numbers are refused, naming the asset.
 */
export function normalizeBalances(raw: unknown, venue?: string): Balances {
  if (!raw || typeof raw !== "object") {
    throw new InvalidExchangeResponseError("fetchBalances: answer is not an object", { venue });
  }
  const out: Balances = {};
  const problems: string[] = [];
  for (const [asset, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (BALANCE_META_KEYS.has(asset)) continue;
    if (!entry || typeof entry !== "object") {
      problems.push(`balances.${asset}: expected an object with free/used/total`);
      continue;
    }
    const e = entry as Record<string, unknown>;
    const free = optionalNumber(e.free);
    let used = optionalNumber(e.used);
    let total = optionalNumber(e.total);
    if (total === undefined && free !== undefined && used !== undefined) total = free + used;
    if (used === undefined && free !== undefined && total !== undefined) used = Math.max(0, total - free);
    const parsed = assetBalanceSchema.safeParse({ free, used, total });
    if (parsed.success) out[asset] = parsed.data;
    else problems.push(validationMessage(parsed.error, `balances.${asset}`));
  }
  if (problems.length > 0) {
    throw new InvalidExchangeResponseError(`fetchBalances: invalid balance from venue: ${problems.join("; ")}`, {
      venue,
    });
  }
  return out;
}

const nullableNumber = z.preprocess((v) => (v === undefined ? null : optionalNumber(v) ?? null), z.number().nullable());
const nullableString = z.preprocess((v) => (v === undefined || v === null ? null : String(v)), z.string().nullable());
const feeSchema = z.preprocess(
  (v) => (v === undefined ? null : v),
  z.object({ cost: nullableNumber, currency: nullableString }).nullable(),
);

const orderSchema = z.object({
  id: nullableString,
  clientOrderId: nullableString,
  symbol: nullableString,
  side: nullableString,
  type: nullableString,
  status: nullableString,
  price: nullableNumber,
  amount: nullableNumber,
  filled: nullableNumber,
  remaining: nullableNumber,
  average: nullableNumber,
  cost: nullableNumber,
  fee: feeSchema,
  timestamp: nullableNumber,
  info: z.unknown(),
});

const tradeSchema = z.object({
  id: nullableString,
  order: nullableString,
  symbol: nullableString,
  side: nullableString,
  price: z.number().finite().positive(),
  amount: z.number().finite().positive(),
  cost: nullableNumber,
  fee: feeSchema,
  timestamp: nullableNumber,
  info: z.unknown(),
});

export function normalizeOrder(raw: unknown, venue?: string): VenueOrder {
  const parsed = orderSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidExchangeResponseError(`order: ${validationMessage(parsed.error, "order")}`, { venue });
  }
  const { info, ...order } = parsed.data;
  return { ...order, raw: info };
}

/**
 * A placement answer that names the order but no state (OKX answers only ordId and sCode 0, which ccxt throws on when
 * not 0): the venue accepted it and it works until a push or a lookup says otherwise. Left without a status it would
 * read as an unknown outcome, looked up over REST although the venue acknowledged it.
 */
export function acceptedAsOpen(order: VenueOrder): VenueOrder {
  if (order.status || !order.id) return order;
  return { ...order, status: "open", filled: order.filled ?? 0 };
}

export function normalizeTrade(raw: unknown, venue?: string): VenueTrade {
  const parsed = tradeSchema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidExchangeResponseError(`trade: ${validationMessage(parsed.error, "trade")}`, { venue });
  }
  const { info, order, ...trade } = parsed.data;
  return { ...trade, orderId: order, raw: info };
}

const quoteSchema = z.object({
  bid: nullableNumber.refine((v) => v === null || v > 0, "must be positive"),
  ask: nullableNumber.refine((v) => v === null || v > 0, "must be positive"),
  timestamp: nullableNumber,
});

export function normalizeQuotes(raw: unknown, symbols: readonly string[], venue?: string): Record<string, VenueQuote> {
  if (!raw || typeof raw !== "object") {
    throw new InvalidExchangeResponseError("fetchQuotes: answer is not an object", { venue });
  }
  const out: Record<string, VenueQuote> = {};
  const problems: string[] = [];
  for (const symbol of symbols) {
    const entry = (raw as Record<string, unknown>)[symbol];
    if (entry === undefined) continue; // the venue does not list it: the caller sees it missing
    const parsed = quoteSchema.safeParse(entry);
    if (parsed.success) out[symbol] = { symbol, ...parsed.data };
    else problems.push(validationMessage(parsed.error, `quotes.${symbol}`));
  }
  if (problems.length > 0) {
    throw new InvalidExchangeResponseError(`fetchQuotes: ${problems.join("; ")}`, { venue });
  }
  return out;
}

// ---- the client ---------------------------------------------------------------------------------------------------

/**
 * ccxt caches the promise of its first loadMarkets, rejected or not: after one failed market load every later call
 * on that instance fails at once without a request, so a retry would never reach the venue. Forget a failed load
 * (only while no markets are loaded) so the next attempt really asks again.
 */
export function forgetFailedMarketLoad(exchange: object): void {
  const state = exchange as { markets?: unknown; marketsLoading?: unknown };
  if (state.markets === undefined || state.markets === null) state.marketsLoading = undefined;
}

/**
 * Wraps the instance's `fetch` (the HTTP call ccxt makes after its rate limiter, signing included) to time each
 * round trip. Only this instance is touched; ccxt itself is unmodified.
 */
function timeRoundTrips(
  exchange: CcxtExchange,
  nowMs: () => number,
  limiter: RateLimiter | undefined,
): { lastMs(): number | undefined } {
  let last: number | undefined;
  const original = exchange.fetch.bind(exchange);
  // ccxt sets last_response_headers inside fetch, so right after it they belong to this response (answer or error).
  const observe = () => limiter?.observeHeaders(exchange.last_response_headers as Record<string, unknown> | undefined);
  exchange.fetch = async (...args: Parameters<CcxtExchange["fetch"]>) => {
    last = undefined;
    const started = nowMs();
    let response;
    try {
      response = await original(...args);
    } finally {
      observe();
    }
    last = Math.max(0, nowMs() - started);
    return response;
  };
  return { lastMs: () => last };
}

/** What the wrapped fetch throws for a rehearsed order's request (createVenueClient's rehearseOrder). */
class RehearsalStopped extends Error {
  override name = "RehearsalStopped";
}

/**
 * Wraps the instance's `fetch` (outermost, so nothing else sees the request) to stop every request that carries
 * `mark`, the client order id of rehearsed orders: they are built and signed, and never sent. The mark is random per
 * client and in no id we make, and each request is checked on its own, so requests made beside a rehearsal go out.
 */
function stopRehearsedRequests(exchange: CcxtExchange, mark: string): void {
  const original = exchange.fetch.bind(exchange);
  exchange.fetch = (...args: Parameters<CcxtExchange["fetch"]>) => {
    const [url, , , body] = args;
    if (String(url).includes(mark) || (typeof body === "string" && body.includes(mark))) {
      return Promise.reject(new RehearsalStopped(`a rehearsed order is not sent (${String(url)})`));
    }
    return original(...args);
  };
}

/** A client order id both venues take (letters and digits, at most 32), unlike any we send. */
function rehearsalMark(): string {
  return `rehearsal${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
}

/** Symbols up to which OKX markets are loaded one instId at a time (inside its instruments endpoint's burst). */
export const MAX_PER_SYMBOL_MARKET_LOADS = 8;

/** Orders and cancels go before everything else in the venue's limits. */
function priorityOf(operation: VenueOperation): RequestPriority {
  return operation === "createOrder" || operation === "cancelOrder" || operation === "createProtection" ||
      operation === "cancelProtection"
    ? "order"
    : "refresh";
}

export function createVenueClient(venue: Venue, exchange: CcxtExchange, options: VenueClientOptions = {}): VenueClient {
  const limiter = options.limiter;
  const costs = VENUE_PROFILES[venue].rateLimits.costs;
  const roundTrips = timeRoundTrips(exchange, options.nowMs ?? (() => performance.now()), limiter);
  const rehearsal = rehearsalMark();
  stopRehearsedRequests(exchange, rehearsal);
  const translate = (error: unknown, operation: string) => {
    forgetFailedMarketLoad(exchange);
    const translated = translateCcxtError(error, {
      venue,
      operation,
      responseHeaders: exchange.last_response_headers as Record<string, unknown> | undefined,
      secrets: options.secrets,
    });
    // 429/418: the venue said "not before T"; our limiter sends nothing before it either (the breaker opens too).
    if (translated instanceof RateLimitedError && translated.retryAfterMs !== undefined) {
      limiter?.pauseFor(translated.retryAfterMs);
    }
    return translated;
  };
  /** Waits for our limiter to let `requests` requests of `cost` through; nothing is sent once the budget is spent. */
  async function admit(cost: VenueOperation, requests: number): Promise<void> {
    if (!limiter) return;
    for (let i = 0; i < requests; i++) {
      await limiter.acquire(costs[cost], priorityOf(cost), options.deadline?.remainingMs());
    }
    assertBeforeDeadline(options.deadline);
  }
  /**
   * Runs one ccxt call after our limiter let it through, translating whatever it throws. `requests` is how many
   * requests of `cost` the call makes (OKX market loads: one per symbol). A refused timestamp (nothing executed)
   * re-reads the venue's time (ccxt keeps the difference in options.timeDifference and signs with it) and tries once
   * more.
   */
  async function call<T>(operation: string, fn: () => Promise<T>, cost: VenueOperation, requests = 1): Promise<T> {
    await admit(cost, requests);
    try {
      return await fn();
    } catch (error) {
      const translated = translate(error, operation);
      if (!(translated instanceof ClockSkewError) || typeof exchange.loadTimeDifference !== "function") {
        throw translated;
      }
      try {
        await admit("fetchServerTime", 1);
        await exchange.loadTimeDifference();
        await admit(cost, requests);
        return await fn();
      } catch (again) {
        throw translate(again, operation);
      }
    }
  }
  const publicBreaker = options.publicBreaker ?? options.breaker;
  /** A rate limit or a ban answers all our calls, signed or not: it counts on the other breaker too. */
  function alsoOn(other: CircuitBreaker | undefined, own: CircuitBreaker | undefined, error: unknown): void {
    if (error instanceof RateLimitedError && other !== undefined && other !== own) other.recordFailure(error);
  }
  /** A safe read: translated, retried for temporary/rate-limited errors, behind the breaker and the deadline. */
  function read<T>(
    operation: string,
    fn: () => Promise<T>,
    cost: VenueOperation,
    { isPublic = false, requests = 1 } = {},
  ): Promise<T> {
    const own = isPublic ? publicBreaker : options.breaker;
    const other = isPublic ? options.breaker : publicBreaker;
    return withRetry(() =>
      call(operation, fn, cost, requests).catch((error) => {
        alsoOn(other, own, error);
        throw error;
      }), {
      ...options.retry,
      breaker: own,
      deadline: options.deadline,
    });
  }
  /**
   * A call that must not be repeated (order placement, cancel): made at most once, and not at all while the breaker
   * is open or after the deadline (CircuitOpenError / DeadlinePassedError: nothing was sent). Its outcome feeds the
   * breaker like a read's, so a venue refusing orders with 429s is left alone too.
   */
  async function once<T>(
    operation: string,
    fn: () => Promise<T>,
    cost: "createOrder" | "cancelOrder" | "createProtection" | "cancelProtection",
    requests = 1,
  ): Promise<T> {
    options.breaker?.assertClosed();
    assertBeforeDeadline(options.deadline);
    try {
      const result = await call(operation, fn, cost, requests);
      options.breaker?.recordSuccess();
      return result;
    } catch (error) {
      if (isRetryableExchangeError(error) && !isNotSentError(error)) options.breaker?.recordFailure(error);
      alsoOn(publicBreaker, options.breaker, error);
      // Not the venue saying no: the request may well have been executed (a garbled 200 to a placed order). Only
      // a lookup can tell, so the caller must treat it as unknown, never as rejected.
      if (error instanceof UnexpectedExchangeError) {
        throw new OutcomeUnknownError(`${operation}: outcome unknown: ${error.message}`, {
          venue,
          operation,
          source: error.source,
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Only the wanted symbols' markets. Binance answers one exchangeInfo?symbols= request but refuses the whole list
   * when one symbol is unknown (-1121): then everything is loaded and the caller skips what is missing. OKX takes one
   * instId per request; an unknown one (51001) is left out.
   */
  async function loadSomeMarkets(symbols: readonly string[]): Promise<Exchange["markets"]> {
    const profile = VENUE_PROFILES[venue];
    const ids = symbols.map((symbol) => profile.marketId(symbol));
    if (profile.marketsBySymbol === "one_request") {
      try {
        return await read(
          "loadMarkets",
          () => exchange.loadMarkets(false, { symbols: JSON.stringify(ids) }),
          "loadMarkets",
          { isPublic: true },
        );
      } catch (error) {
        if (!(error instanceof FinalExchangeError) || error instanceof UnexpectedExchangeError) throw error;
        return await read("loadMarkets", () => exchange.loadMarkets(), "loadMarkets", { isPublic: true });
      }
    }
    // One request per symbol only while they fit the endpoint's burst (OKX instruments: 20 per 2 s); beyond that the
    // whole list in one request costs less of the limit than waiting for refills.
    if (ids.length > MAX_PER_SYMBOL_MARKET_LOADS) {
      return await read("loadMarkets", () => exchange.loadMarkets(), "loadMarkets", { isPublic: true });
    }
    const lists = await Promise.all(ids.map(async (instId) => {
      try {
        return await read("loadMarkets", () => exchange.fetchMarkets({ instId }), "loadMarkets", { isPublic: true });
      } catch (error) {
        if (!(error instanceof FinalExchangeError) || error instanceof UnexpectedExchangeError) throw error;
        return [];
      }
    }));
    // Later ccxt calls find the markets set and load nothing more.
    return exchange.setMarkets(lists.flat());
  }

  /**
   * One tickers request; only the entries of `symbols` are parsed (by ccxt's own parseTicker). A symbol without a
   * loaded market, or missing from the answer, stays missing.
   */
  async function okxWantedTickers(symbols: readonly string[]): Promise<Record<string, unknown>> {
    const wanted = new Map<string, { symbol: string }>();
    for (const symbol of symbols) {
      const market = exchange.markets?.[symbol] as { id?: string; symbol: string } | undefined;
      if (market?.id) wanted.set(market.id, market);
    }
    const response = await (exchange as unknown as OkxTickersEndpoint).publicGetMarketTickers({ instType: "SPOT" });
    const data = (response as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) {
      throw new InvalidExchangeResponseError("fetchQuotes: tickers answer has no data list", { venue });
    }
    const out: Record<string, unknown> = {};
    for (const entry of data) {
      const market = wanted.get((entry as { instId?: unknown } | null)?.instId as string);
      if (market) {
        out[market.symbol] = exchange.parseTicker(entry, market as Parameters<CcxtExchange["parseTicker"]>[1]);
      }
    }
    return out;
  }

  return {
    venue,

    affordableNow(operation, { leaveOrderReserve = false } = {}) {
      if (!limiter) return Number.POSITIVE_INFINITY;
      return limiter.affordableNow(costs[operation], priorityOf(operation), { leaveReserve: leaveOrderReserve });
    },

    async fetchServerTime({ retry = true } = {}) {
      const fetchTime = () => exchange.fetchTime();
      const time = retry
        ? await read("fetchServerTime", fetchTime, "fetchServerTime", { isPublic: true })
        : await call("fetchServerTime", fetchTime, "fetchServerTime");
      const parsed = z.number().finite().positive().safeParse(time);
      if (!parsed.success) {
        throw new InvalidExchangeResponseError(`fetchServerTime: server time ${String(time)} is not a timestamp`, {
          venue,
        });
      }
      return parsed.data;
    },

    async measureServerTimeRoundTrip() {
      const serverTimeMs = await this.fetchServerTime({ retry: false });
      const roundTripMs = roundTrips.lastMs();
      if (roundTripMs === undefined) {
        throw new InvalidExchangeResponseError("measureServerTimeRoundTrip: no HTTP round trip was observed", {
          venue,
        });
      }
      return { serverTimeMs, roundTripMs };
    },

    async fetchBalances() {
      const raw = await read("fetchBalances", () => exchange.fetchBalance(), "fetchBalances");
      return normalizeBalances(raw, venue);
    },

    async fetchQuotes(symbols) {
      if (symbols.length === 0) return {};
      const list = [...symbols];
      const raw = VENUE_PROFILES[venue].quoteMethod === "okxTickersWanted"
        ? await read("fetchQuotes", () => okxWantedTickers(list), "fetchQuotes", { isPublic: true })
        : await read("fetchQuotes", () => exchange.fetchBidsAsks(list), "fetchQuotes", { isPublic: true });
      return normalizeQuotes(raw, symbols, venue);
    },

    loadMarkets(symbols) {
      if (symbols === undefined || symbols.length === 0) {
        return read("loadMarkets", () => exchange.loadMarkets(), "loadMarkets", { isPublic: true });
      }
      return loadSomeMarkets(symbols);
    },

    async createOrder(order) {
      if (order.type === "limit" && order.price === undefined) {
        throw new RangeError(`createOrder: a limit order needs a price (${order.symbol} ${order.side})`);
      }
      const raw = await once(
        "createOrder",
        () =>
          exchange.createOrder(order.symbol, order.type, order.side, order.amount, order.price, {
            clientOrderId: order.clientOrderId,
          }),
        "createOrder",
      );
      return acceptedAsOpen(normalizeOrder(raw, venue));
    },

    async rehearseOrder(order) {
      try {
        await exchange.createOrder(order.symbol, order.type, order.side, order.amount, order.price, {
          clientOrderId: rehearsal,
        });
      } catch (error) {
        if (error instanceof RehearsalStopped) return;
        throw translate(error, "rehearseOrder");
      }
      throw new UnexpectedExchangeError("rehearseOrder: the rehearsed order was not stopped before its send", {
        venue,
      });
    },

    async fetchOrder(id, symbol) {
      return normalizeOrder(await read("fetchOrder", () => exchange.fetchOrder(id, symbol), "fetchOrder"), venue);
    },

    async fetchOrderByClientId(clientOrderId, symbol) {
      // Both ccxt venues read params.clientOrderId (Binance origClientOrderId, OKX clOrdId) and ignore the id then.
      const raw = await read(
        "fetchOrderByClientId",
        () => exchange.fetchOrder(undefined as unknown as string, symbol, { clientOrderId }),
        "fetchOrder",
      );
      return normalizeOrder(raw, venue);
    },

    async cancelOrder(id, symbol) {
      // Not retried: a cancel that timed out may have worked, and a blind second try would answer OrderNotFound.
      // The caller re-reads the order instead.
      return normalizeOrder(await once("cancelOrder", () => exchange.cancelOrder(id, symbol), "cancelOrder"), venue);
    },

    async fetchOpenOrders(symbol) {
      const raw = await read("fetchOpenOrders", () => exchange.fetchOpenOrders(symbol), "fetchOpenOrders");
      return raw.map((order) => normalizeOrder(order, venue));
    },

    async fetchMyTrades(symbol, since, limit) {
      const raw = await read("fetchMyTrades", () => exchange.fetchMyTrades(symbol, since, limit), "fetchMyTrades");
      return raw.map((trade) => normalizeTrade(trade, venue));
    },

    ...(VENUE_PROFILES[venue].protection === "orderList/oco"
      ? {
        async createProtectionList(list: ProtectionListRequest): Promise<ProtectionListAnswer<VenueOrder>> {
          // ccxt's binance class carries the implicit endpoint and its formatting; the Exchange type does not.
          const oco = exchange as unknown as BinanceOcoExchange;
          // One request that places two orders: it counts twice against the venue's order limit.
          const raw = await once(
            "createProtectionList",
            async () => {
              await exchange.loadMarkets();
              return await oco.privatePostOrderListOco(binanceOcoParams(oco, list));
            },
            "createOrder",
            2,
          );
          try {
            return parseBinanceOcoAnswer(oco, list, raw, (order) => normalizeOrder(order, venue));
          } catch (error) {
            // The list may well rest at the venue: unknown, resolved by looking the legs up.
            throw new OutcomeUnknownError(`createProtectionList: ${(error as Error).message}`, { venue });
          }
        },
      }
      : {}),

    ...(VENUE_PROFILES[venue].protection === "order-algo/oco"
      ? {
        async createProtectionAlgo(list: ProtectionListRequest): Promise<{ algoId: string }> {
          // ccxt routes type "oco" with both trigger prices to POST trade/order-algo (ordType oco).
          const raw = await once(
            "createProtectionAlgo",
            () => exchange.createOrder(list.symbol, "oco", "sell", list.amount, undefined, okxOcoParams(list)),
            "createProtection",
          );
          try {
            return { algoId: okxPlacedAlgoId(raw) };
          } catch (error) {
            throw new OutcomeUnknownError(`createProtectionAlgo: ${(error as Error).message}`, { venue });
          }
        },

        async fetchProtectionAlgo(ref: { algoId: string | null; listClientId: string | null }, symbol: string) {
          if (!ref.algoId && !ref.listClientId) {
            throw new RangeError("fetchProtectionAlgo: an algo id or a list client id is needed");
          }
          // GET trade/order-algo?algoId= (or algoClOrdId=): pending and finished algos alike.
          const params = ref.algoId ? { trigger: true } : { trigger: true, clientOrderId: ref.listClientId };
          const raw = await read(
            "fetchProtectionAlgo",
            () => exchange.fetchOrder(ref.algoId ?? (undefined as unknown as string), symbol, params),
            "fetchProtection",
          );
          return algoOf(raw, "fetchProtectionAlgo");
        },

        async fetchOpenProtectionAlgos() {
          // GET trade/orders-algo-pending?ordType=oco, all symbols.
          const raw = await read(
            "fetchOpenProtectionAlgos",
            () => exchange.fetchOpenOrders(undefined, undefined, undefined, { ordType: "oco" }),
            "fetchOpenProtection",
          );
          if (!Array.isArray(raw)) {
            throw new InvalidExchangeResponseError("fetchOpenProtectionAlgos: answer is not a list", { venue });
          }
          return raw.map((order) => algoOf(order, "fetchOpenProtectionAlgos"));
        },

        async cancelProtectionAlgo(algoId: string, symbol: string) {
          // POST trade/cancel-algos [{ instId, algoId }]; ccxt raises on the entry's sCode when it failed.
          await once(
            "cancelProtectionAlgo",
            () => exchange.cancelOrder(algoId, symbol, { trigger: true }),
            "cancelProtection",
          );
        },
      }
      : {}),
  };

  /** ccxt's parsed algo order → its validated raw answer. */
  function algoOf(parsed: unknown, operation: string): ProtectionAlgo {
    try {
      return okxAlgoFromInfo((parsed as { info?: unknown } | null)?.info);
    } catch (error) {
      throw new InvalidExchangeResponseError(`${operation}: ${(error as Error).message}`, { venue });
    }
  }
}
