// OKX v5 REST (/api/v5) over the simulator's engine: the spot subset unmodified ccxt `okx` uses. Every answer is OKX's
// `{ code, msg, data }` envelope; shapes live in okx_shapes.ts, codes in okx_errors.ts, parameters in okx_params.ts.
// NOTES-okx.md lists each endpoint with the request ccxt sends and the fields it reads.

import type { VenueEngine } from "./engine.ts";
import { SimRejection } from "./rejection.ts";
import type { Account, MarketInfo, OrderRef, PlaceOrderRequest, SimOrder, SimTrade } from "./types.ts";
import type { VenueContext } from "./venue_context.ts";
import { ALGO_ROUTES, parseAttached, placeAttached } from "./okx_algo.ts";
import { authenticateOkx } from "./okx_auth.ts";
import {
  cancelFailure,
  emptyBody,
  emptyParameter,
  invalidMethod,
  jsonSyntaxError,
  OkxApiError,
  type OkxOrderFailure,
  orderDoesNotExist,
  orderIdRequired,
  parameterError,
  placementFailure,
  tooManyRequests,
  unknownInstrument,
} from "./okx_errors.ts";
import {
  balanceQuery,
  booksQuery,
  cancelOrderBody,
  currenciesQuery,
  fillsQuery,
  instrumentsQuery,
  okxParamError,
  orderQuery,
  ordersHistoryQuery,
  ordersPendingQuery,
  parseParams,
  type PlaceOrderBody,
  placeOrderBody,
  queryObject,
  tickerQuery,
  tickersQuery,
  tradeFeeQuery,
} from "./okx_params.ts";
import {
  balanceDetailShape,
  bookShape,
  dec,
  defaultOrigin,
  fillShape,
  instIdOf,
  instrumentShape,
  okxState,
  type OrderOrigin,
  orderShape,
  symbolOf,
  tickerShape,
} from "./okx_shapes.ts";

/** OKX caps batch-orders and cancel-batch-orders at 20 entries. */
const MAX_BATCH = 20;
/** A fixed listing time for every simulated instrument (1 Jan 2019). */
const LIST_TIME = Date.UTC(2019, 0, 1);
const STABLE_COINS = new Set(["USDT", "USDC", "USD"]);

/** How each order was sent (ordType, size unit, tag), which the engine does not keep. Per engine, so runs stay apart. */
const originsByEngine = new WeakMap<VenueEngine, Map<string, OrderOrigin>>();

export function originOf(engine: VenueEngine, order: SimOrder): OrderOrigin {
  return originsByEngine.get(engine)?.get(order.orderId) ?? defaultOrigin(order);
}

function rememberOrigin(engine: VenueEngine, orderId: string, origin: OrderOrigin): void {
  let origins = originsByEngine.get(engine);
  if (!origins) {
    origins = new Map();
    originsByEngine.set(engine, origins);
  }
  origins.set(orderId, origin);
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function ok(data: unknown[]): Response {
  return json(200, { code: "0", msg: "", data });
}

/** OKX's in/out times in microseconds, sent with trade answers. */
function microTime(ms: number): string {
  return `${ms}000`;
}

/**
 * A trade answer for a batch of per-order results: code 0 when all succeeded, 2 when some did, 1 when none did.
 * HTTP 200 in every case, as OKX answers.
 */
function batchAnswer(results: { sCode: string }[], now: number): Response {
  const failed = results.filter((r) => r.sCode !== "0").length;
  let code = "0";
  let msg = "";
  if (failed > 0 && failed === results.length) {
    code = "1";
    msg = "All operations failed";
  } else if (failed > 0) {
    code = "2";
    msg = "Batch operation partially succeeded";
  }
  return json(200, { code, msg, data: results, inTime: microTime(now), outTime: microTime(now) });
}

// ---------------------------------------------------------------------------------------------------------------
// Route table

interface RouteInput {
  ctx: VenueContext;
  query: Record<string, string>;
  /** parsed JSON body (POST only) */
  body: unknown;
  /** set for private routes */
  account: Account;
}

interface Route {
  method: "GET" | "POST";
  private: boolean;
  run(input: RouteInput): Response | Promise<Response>;
}

function marketOf(engine: VenueEngine, instId: string): MarketInfo {
  const market = engine.market(symbolOf(instId));
  if (!market || instIdOf(market.symbol) !== instId) throw unknownInstrument(instId);
  return market;
}

function lastFill(engine: VenueEngine, order: SimOrder): SimTrade | undefined {
  const trades = engine.myTrades(order.accountId, { orderId: order.orderId });
  return trades[trades.length - 1];
}

function orderEntry(engine: VenueEngine, order: SimOrder) {
  const market = engine.market(order.symbol)!;
  return orderShape(order, market, originOf(engine, order), lastFill(engine, order));
}

/** Newest first, then OKX's id cursors: `after` = older than, `before` = newer than. */
function page<T>(items: T[], idOf: (item: T) => string, q: { after?: string; before?: string; limit?: number }): T[] {
  let list = [...items].sort((a, b) => {
    const x = BigInt(idOf(a));
    const y = BigInt(idOf(b));
    return x < y ? 1 : x > y ? -1 : 0;
  });
  if (q.after !== undefined) list = list.filter((item) => BigInt(idOf(item)) < BigInt(q.after!));
  if (q.before !== undefined) list = list.filter((item) => BigInt(idOf(item)) > BigInt(q.before!));
  return list.slice(0, q.limit ?? 100);
}

function usdPrice(engine: VenueEngine, asset: string): number | undefined {
  if (STABLE_COINS.has(asset)) return 1;
  const market = engine.market(`${asset}/USDT`);
  if (!market) return undefined;
  const quote = engine.quote(market.symbol);
  return (quote.bid + quote.ask) / 2;
}

function engineOrderRequest(
  body: PlaceOrderBody,
  market: MarketInfo,
): { request: PlaceOrderRequest; origin: OrderOrigin } {
  const symbol = market.symbol;
  const clientOrderId = body.clOrdId;
  const tag = body.tag ?? "";
  if (body.ordType === "market") {
    // OKX's default size unit for spot market orders: quote for a buy, base for a sell.
    const tgtCcy = body.tgtCcy ?? (body.side === "buy" ? "quote_ccy" : "base_ccy");
    const size = tgtCcy === "quote_ccy" ? { quoteAmount: body.sz } : { amount: body.sz };
    return {
      request: { symbol, side: body.side, type: "market", clientOrderId, ...size },
      origin: { ordType: "market", tgtCcy, tag },
    };
  }
  if (body.px === undefined) {
    throw new SimRejection("invalid_price", "the price for a limit order cannot be empty");
  }
  const timeInForce = body.ordType === "ioc" ? "IOC" : body.ordType === "fok" ? "FOK" : "GTC";
  return {
    request: {
      symbol,
      side: body.side,
      type: "limit",
      amount: body.sz,
      price: body.px,
      clientOrderId,
      timeInForce,
      postOnly: body.ordType === "post_only",
    },
    origin: { ordType: body.ordType, tgtCcy: "base_ccy", tag },
  };
}

type PlaceResult = { clOrdId: string; ordId: string; tag: string; ts: string } & OkxOrderFailure;

function placeOne(ctx: VenueContext, account: Account, raw: unknown): PlaceResult {
  const engine = ctx.engine;
  const now = ctx.clock.now();
  const fields = (raw !== null && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const echo = {
    clOrdId: typeof fields.clOrdId === "string" ? fields.clOrdId : "",
    ordId: "",
    tag: typeof fields.tag === "string" ? fields.tag : "",
    ts: String(now),
  };
  if (echo.clOrdId) (ctx.log.clientOrderIds ??= []).push(echo.clOrdId);
  const parsed = placeOrderBody.safeParse(fields);
  if (!parsed.success) {
    const error = okxParamError(fields, parsed.error);
    return { ...echo, sCode: error.code, sMsg: error.message };
  }
  const body = parsed.data;
  const market = engine.market(symbolOf(body.instId));
  if (!market || instIdOf(market.symbol) !== body.instId) {
    return { ...echo, ...placementFailure("unknown_symbol", body.instId) };
  }
  let attached: ReturnType<typeof parseAttached>;
  try {
    attached = parseAttached(fields.attachAlgoOrds, market, body.side);
  } catch (error) {
    if (!(error instanceof OkxApiError)) throw error;
    return { ...echo, sCode: error.code, sMsg: error.message };
  }
  try {
    const { request, origin } = engineOrderRequest(body, market);
    const order = engine.placeOrder(account.id, request);
    rememberOrigin(engine, order.orderId, origin);
    placeAttached(engine, account, attached, order);
    return { ...echo, clOrdId: order.clientOrderId, ordId: order.orderId, sCode: "0", sMsg: "Order placed" };
  } catch (error) {
    if (!(error instanceof SimRejection)) throw error;
    if (error.reason === "invalid_price" && body.px === undefined) {
      return { ...echo, sCode: "51204", sMsg: "The price for the limit order cannot be empty." };
    }
    const ccy = body.side === "buy" ? market.quote : market.base;
    return { ...echo, ...placementFailure(error.reason, error.message, ccy) };
  }
}

type CancelResult = { clOrdId: string; ordId: string; ts: string } & OkxOrderFailure;

function cancelOne(ctx: VenueContext, account: Account, raw: unknown): CancelResult {
  const engine = ctx.engine;
  const fields = (raw !== null && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const echo = {
    clOrdId: typeof fields.clOrdId === "string" ? fields.clOrdId : "",
    ordId: typeof fields.ordId === "string" ? fields.ordId : "",
    ts: String(ctx.clock.now()),
  };
  const parsed = cancelOrderBody.safeParse(fields);
  if (!parsed.success) {
    const error = okxParamError(fields, parsed.error);
    return { ...echo, sCode: error.code, sMsg: error.message };
  }
  const body = parsed.data;
  if (body.ordId === undefined && body.clOrdId === undefined) {
    const error = orderIdRequired();
    return { ...echo, sCode: error.code, sMsg: error.message };
  }
  const market = engine.market(symbolOf(body.instId));
  if (!market || instIdOf(market.symbol) !== body.instId) {
    return { ...echo, ...placementFailure("unknown_symbol", body.instId) };
  }
  const ref: OrderRef = body.ordId !== undefined ? { orderId: body.ordId } : { clientOrderId: body.clOrdId };
  try {
    const order = engine.cancelOrder(account.id, ref, market.symbol);
    return { clOrdId: order.clientOrderId, ordId: order.orderId, ts: echo.ts, sCode: "0", sMsg: "" };
  } catch (error) {
    if (!(error instanceof SimRejection)) throw error;
    let status: string | undefined;
    try {
      status = engine.getOrder(account.id, ref, market.symbol).status;
    } catch {
      status = undefined; // the order does not exist: 51400
    }
    return { ...echo, ...cancelFailure(error.reason, status) };
  }
}

function asBatch(body: unknown): unknown[] {
  if (!Array.isArray(body)) throw parameterError("request body (an array is expected)");
  if (body.length === 0) throw emptyBody();
  if (body.length > MAX_BATCH) {
    throw new OkxApiError(200, "51111", `Maximum ${MAX_BATCH} orders can be placed in bulk.`);
  }
  return body;
}

function asSingle(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw parameterError("request body");
  return body as Record<string, unknown>;
}

const ROUTES: Record<string, Route> = {
  ...ALGO_ROUTES,

  "/api/v5/public/time": {
    method: "GET",
    private: false,
    run: ({ ctx }) => ok([{ ts: String(ctx.clock.now()) }]),
  },

  "/api/v5/public/instruments": {
    method: "GET",
    private: false,
    run: ({ ctx, query }) => {
      const q = parseParams(instrumentsQuery, query);
      // The simulator lists spot instruments only; other instrument types exist on OKX but are empty here.
      if (q.instType !== "SPOT") return ok([]);
      const markets = q.instId === undefined ? ctx.engine.markets() : [marketOf(ctx.engine, q.instId)];
      return ok(markets.map((m) => instrumentShape(m, LIST_TIME)));
    },
  },

  "/api/v5/market/tickers": {
    method: "GET",
    private: false,
    run: ({ ctx, query }) => {
      const q = parseParams(tickersQuery, query);
      if (q.instType !== "SPOT") return ok([]);
      ctx.engine.marketDataRead(ctx.engine.markets().map((m) => m.symbol));
      return ok(ctx.engine.tickers().map((t) => tickerShape(t, lastTradeSize(ctx.engine, t.symbol))));
    },
  },

  "/api/v5/market/ticker": {
    method: "GET",
    private: false,
    run: ({ ctx, query }) => {
      const q = parseParams(tickerQuery, query);
      const market = marketOf(ctx.engine, q.instId);
      ctx.engine.marketDataRead([market.symbol]);
      return ok([tickerShape(ctx.engine.ticker(market.symbol), lastTradeSize(ctx.engine, market.symbol))]);
    },
  },

  "/api/v5/market/books": {
    method: "GET",
    private: false,
    run: ({ ctx, query }) => {
      const q = parseParams(booksQuery, query);
      const market = marketOf(ctx.engine, q.instId);
      const depth = q.sz ?? 1; // OKX's default depth is one level
      ctx.engine.marketDataRead([market.symbol]);
      return ok([bookShape(ctx.engine.orderBook(market.symbol, depth), depth)]);
    },
  },

  "/api/v5/account/balance": {
    method: "GET",
    private: true,
    run: ({ ctx, query, account }) => {
      const q = parseParams(balanceQuery, query);
      const wanted = q.ccy === undefined ? undefined : new Set(q.ccy.split(","));
      const now = ctx.clock.now();
      // OKX lists only currencies the account holds.
      const details = ctx.engine.balances(account.id)
        .filter((b) => b.free + b.locked > 0 && (wanted === undefined || wanted.has(b.asset)))
        .map((b) => balanceDetailShape(b, usdPrice(ctx.engine, b.asset), now));
      const totalEq = details.reduce((sum, d) => sum + (d.eqUsd === "" ? 0 : Number(d.eqUsd)), 0);
      return ok([{
        adjEq: "",
        availEq: "",
        borrowFroz: "",
        details,
        imr: "",
        isoEq: "0",
        mgnRatio: "",
        mmr: "",
        notionalUsd: "",
        ordFroz: "",
        totalEq: dec(totalEq, 8),
        uTime: String(now),
        upl: "",
      }]);
    },
  },

  "/api/v5/asset/currencies": {
    method: "GET",
    private: true,
    run: ({ ctx, query }) => {
      const q = parseParams(currenciesQuery, query);
      const wanted = q.ccy === undefined ? undefined : new Set(q.ccy.split(","));
      const assets = [...new Set(ctx.engine.markets().flatMap((m) => [m.base, m.quote]))].sort();
      return ok(
        assets.filter((a) => wanted === undefined || wanted.has(a)).map((ccy) => ({
          canDep: true,
          canInternal: true,
          canWd: true,
          ccy,
          chain: `${ccy}-Simulated`,
          logoLink: "",
          mainNet: true,
          maxFee: "0",
          maxWd: "1000000",
          minDep: "0",
          minFee: "0",
          minWd: "0",
          name: ccy,
          wdTickSz: "8",
        })),
      );
    },
  },

  "/api/v5/account/trade-fee": {
    method: "GET",
    private: true,
    run: ({ ctx, query }) => {
      const q = parseParams(tradeFeeQuery, query);
      if (q.instId !== undefined) marketOf(ctx.engine, q.instId);
      return ok([{
        category: "1",
        delivery: "",
        exercise: "",
        instType: q.instType,
        level: "Lv1",
        // OKX reports fees paid as negative rates.
        maker: dec(-ctx.engine.fees.maker),
        taker: dec(-ctx.engine.fees.taker),
        makerU: "",
        takerU: "",
        makerUSDC: "",
        takerUSDC: "",
        ruleType: "normal",
        ts: String(ctx.clock.now()),
      }]);
    },
  },

  "/api/v5/trade/order": {
    method: "GET",
    private: true,
    run: ({ ctx, query, account }) => {
      const q = parseParams(orderQuery, query);
      const market = marketOf(ctx.engine, q.instId);
      if (q.ordId === undefined && q.clOrdId === undefined) throw orderIdRequired();
      const ref: OrderRef = q.ordId !== undefined ? { orderId: q.ordId } : { clientOrderId: q.clOrdId };
      let order: SimOrder;
      try {
        order = ctx.engine.getOrder(account.id, ref, market.symbol);
      } catch (error) {
        if (error instanceof SimRejection && error.reason === "order_not_found") throw orderDoesNotExist();
        throw error;
      }
      return ok([orderEntry(ctx.engine, order)]);
    },
  },

  "/api/v5/trade/orders-pending": {
    method: "GET",
    private: true,
    run: ({ ctx, query, account }) => {
      const q = parseParams(ordersPendingQuery, query);
      if (q.instType !== undefined && q.instType !== "SPOT") return ok([]);
      const symbol = q.instId === undefined ? undefined : marketOf(ctx.engine, q.instId).symbol;
      const orders = ctx.engine.openOrders(account.id, symbol).filter((o) =>
        (q.state === undefined || okxState(o) === q.state) &&
        (q.ordType === undefined || q.ordType.split(",").includes(originOf(ctx.engine, o).ordType))
      );
      return ok(page(orders, (o) => o.orderId, q).map((o) => orderEntry(ctx.engine, o)));
    },
  },

  "/api/v5/trade/orders-history": {
    method: "GET",
    private: true,
    run: ({ ctx, query, account }) => {
      const q = parseParams(ordersHistoryQuery, query);
      if (q.instType !== "SPOT") return ok([]);
      const symbol = q.instId === undefined ? undefined : marketOf(ctx.engine, q.instId).symbol;
      const orders = ctx.engine.allOrders(account.id, symbol).filter((o) => {
        const state = okxState(o);
        return (state === "filled" || state === "canceled") &&
          (q.state === undefined || state === q.state) &&
          (q.ordType === undefined || q.ordType.split(",").includes(originOf(ctx.engine, o).ordType)) &&
          (q.begin === undefined || o.createdAt >= q.begin) &&
          (q.end === undefined || o.createdAt <= q.end);
      });
      return ok(page(orders, (o) => o.orderId, q).map((o) => orderEntry(ctx.engine, o)));
    },
  },

  "/api/v5/trade/fills": { method: "GET", private: true, run: (input) => fills(input, false) },
  "/api/v5/trade/fills-history": { method: "GET", private: true, run: (input) => fills(input, true) },

  "/api/v5/trade/order#POST": {
    method: "POST",
    private: true,
    run: ({ ctx, body, account }) => batchAnswer([placeOne(ctx, account, asSingle(body))], ctx.clock.now()),
  },

  "/api/v5/trade/batch-orders": {
    method: "POST",
    private: true,
    run: ({ ctx, body, account }) =>
      batchAnswer(asBatch(body).map((entry) => placeOne(ctx, account, entry)), ctx.clock.now()),
  },

  "/api/v5/trade/cancel-order": {
    method: "POST",
    private: true,
    run: ({ ctx, body, account }) => batchAnswer([cancelOne(ctx, account, asSingle(body))], ctx.clock.now()),
  },

  "/api/v5/trade/cancel-batch-orders": {
    method: "POST",
    private: true,
    run: ({ ctx, body, account }) =>
      batchAnswer(asBatch(body).map((entry) => cancelOne(ctx, account, entry)), ctx.clock.now()),
  },
};

function lastTradeSize(engine: VenueEngine, symbol: string): number {
  // The engine's ticker has no last size; the newest fill of any account on the symbol gives it.
  let newest: SimTrade | undefined;
  for (const account of engine.listAccounts()) {
    const trades = engine.myTrades(account.id, { symbol });
    const last = trades[trades.length - 1];
    if (last && (!newest || last.timestamp >= newest.timestamp)) newest = last;
  }
  return newest?.amount ?? 0;
}

function fills({ ctx, query, account }: RouteInput, history: boolean): Response {
  const q = parseParams(fillsQuery, query);
  if (history && q.instType === undefined) throw emptyParameter("instType");
  if (q.instType !== undefined && q.instType !== "SPOT") return ok([]);
  const symbol = q.instId === undefined ? undefined : marketOf(ctx.engine, q.instId).symbol;
  const trades = ctx.engine.myTrades(account.id, { symbol, orderId: q.ordId, since: q.begin, until: q.end });
  const fees = ctx.engine.fees;
  return ok(page(trades, (t) => t.tradeId, q).map((t) => fillShape(t, t.isMaker ? fees.maker : fees.taker)));
}

// ---------------------------------------------------------------------------------------------------------------
// Entry point

function routeFor(method: string, path: string): Route | undefined {
  const byMethod = ROUTES[`${path}#${method}`];
  if (byMethod) return byMethod;
  return ROUTES[path];
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === "") throw emptyBody();
  try {
    return JSON.parse(text);
  } catch {
    throw jsonSyntaxError();
  }
}

/**
 * What a request counts against: OKX counts batch endpoints per order, and a batch of one against the single-order
 * endpoint's limit (its docs: "If there is only one order in the request, it will consume the rate limit of Place
 * order").
 */
function rateLimitedAs(endpoint: string, body: unknown): { endpoint: string; count: number } {
  const single: Record<string, string> = {
    "POST /api/v5/trade/batch-orders": "POST /api/v5/trade/order",
    "POST /api/v5/trade/cancel-batch-orders": "POST /api/v5/trade/cancel-order",
  };
  if (!(endpoint in single) || !Array.isArray(body)) return { endpoint, count: 1 };
  return body.length === 1 ? { endpoint: single[endpoint], count: 1 } : { endpoint, count: body.length };
}

/** Serves one OKX v5 request (path already stripped of the simulator's `/okx` prefix). */
export async function handleOkx(req: Request, ctx: VenueContext): Promise<Response> {
  const url = new URL(req.url);
  const route = routeFor(req.method, url.pathname);
  ctx.log.signed = req.headers.has("ok-access-sign");
  if (!route) {
    ctx.log.private = req.headers.has("ok-access-key");
    // The simulator serves a subset of OKX: anything else is a plain 404 (ccxt ExchangeError / ExchangeNotAvailable).
    return json(404, { code: "404", msg: `Not Found: ${url.pathname}`, data: [] });
  }
  ctx.log.private = route.private;
  try {
    if (route.method !== req.method) throw invalidMethod();
    // The signature covers the body text exactly as sent, so authenticate before parsing it.
    const bodyText = req.method === "POST" ? await req.text() : "";
    let account: Account = { id: "", apiKey: "", secret: "" };
    if (route.private) {
      account = await authenticateOkx(
        { method: req.method, requestPath: url.pathname + url.search, body: bodyText, headers: req.headers },
        ctx.engine,
        ctx.clock.now(),
      );
    }
    const body = req.method === "POST" ? parseJsonBody(bodyText) : undefined;
    // OKX counts public endpoints per IP (one bucket: every client is on loopback) and private ones per account.
    const { endpoint, count } = rateLimitedAs(`${req.method} ${url.pathname}`, body);
    if (!ctx.limits.okx.allow(endpoint, route.private ? account.id : "ip", ctx.clock.now(), count)) {
      throw tooManyRequests();
    }
    return await route.run({ ctx, query: queryObject(url), body, account });
  } catch (error) {
    if (error instanceof OkxApiError) {
      return json(error.status, { code: error.code, msg: error.message, data: [] });
    }
    if (error instanceof SimRejection) {
      const failure = placementFailure(error.reason, error.message);
      return json(200, { code: failure.sCode, msg: failure.sMsg, data: [] });
    }
    throw error;
  }
}
