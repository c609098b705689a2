// Binance spot REST (/api/v3) over the simulator's engine: the subset unmodified ccxt `binance` uses for spot trading.
// Shapes, codes and HTTP statuses follow Binance's spot API docs; ccxt's binance.js decides which fields matter.

import type { VenueEngine } from "./engine.ts";
import { SimRejection } from "./rejection.ts";
import type {
  Account,
  MarketInfo,
  OrderSide,
  OrderStatus,
  PlaceOrderRequest,
  SimOrder,
  SimTicker,
  SimTrade,
  TimeInForce,
} from "./types.ts";
import type { VenueContext } from "./venue_context.ts";
import type { OcoLeg, SimOrderList } from "./order_lists.ts";
import { binanceWeight } from "./binance_weights.ts";
import type { BinanceLimitVerdict } from "./rate_limits.ts";

/** Binance's own rule: recvWindow may not exceed one minute. */
const MAX_RECV_WINDOW_MS = 60_000;
const DEFAULT_RECV_WINDOW_MS = 5_000;
/** A request timestamped this far ahead of server time is refused. */
const MAX_CLOCK_AHEAD_MS = 1_000;

/** An error answer in Binance's `{ code, msg }` shape. */
export class BinanceApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "BinanceApiError";
  }
}

const mandatory = (name: string) =>
  new BinanceApiError(400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);

function json(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json;charset=UTF-8", ...extra },
  });
}

/** Throws Binance's 429/418 answer when the limiter says no. */
function enforce(verdict: BinanceLimitVerdict): void {
  if (!verdict.ok) throw new BinanceApiError(verdict.status, verdict.code, verdict.msg, verdict.retryAfterSeconds);
}

/** Binance prints decimals as strings with 8 places. */
function dec(value: number | undefined): string {
  return (value ?? 0).toFixed(8);
}

/** BTC/USDT → BTCUSDT */
function marketId(info: MarketInfo): string {
  return `${info.base}${info.quote}`;
}

const idsByEngine = new WeakMap<VenueEngine, Map<string, MarketInfo>>();

/** BTCUSDT → market; built once per engine (the listing is fixed at start). */
function marketsById(engine: VenueEngine): Map<string, MarketInfo> {
  let ids = idsByEngine.get(engine);
  if (!ids) {
    ids = new Map(engine.markets().map((m) => [marketId(m), m]));
    idsByEngine.set(engine, ids);
  }
  return ids;
}

const fullListingJson = new WeakMap<VenueEngine, string>();

/** The JSON of every symbol's exchangeInfo entry, serialised once per engine: thousands of symbols are ~3 MB. */
function allSymbolsJson(engine: VenueEngine): string {
  let text = fullListingJson.get(engine);
  if (text === undefined) {
    text = JSON.stringify(engine.markets().map(symbolInfo));
    fullListingJson.set(engine, text);
  }
  return text;
}

/** A route's answer that is already JSON text. */
class RawJson {
  constructor(readonly text: string) {}
}

function resolveSymbol(engine: VenueEngine, id: string | undefined): MarketInfo {
  if (id === undefined || id === "") throw mandatory("symbol");
  const market = marketsById(engine).get(id.toUpperCase());
  if (!market) throw new BinanceApiError(400, -1121, "Invalid symbol.");
  return market;
}

/** The `symbols=["BTCUSDT","ETHUSDT"]` list parameter. */
function parseSymbolList(engine: VenueEngine, raw: string): MarketInfo[] {
  let ids: unknown;
  try {
    ids = JSON.parse(raw);
  } catch {
    throw new BinanceApiError(
      400,
      -1100,
      "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.",
    );
  }
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) throw mandatory("symbols");
  return ids.map((id: string) => resolveSymbol(engine, id));
}

function parseNumber(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^([0-9]{1,20})(\.[0-9]{1,20})?$/.test(raw)) {
    throw new BinanceApiError(
      400,
      -1100,
      `Illegal characters found in parameter '${name}'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.`,
    );
  }
  return Number(raw);
}

function parseInteger(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  if (!/^-?[0-9]{1,20}$/.test(raw)) {
    throw new BinanceApiError(
      400,
      -1100,
      `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`,
    );
  }
  return Number(raw);
}

// ---------------------------------------------------------------------------------------------------------------
// Authentication: X-MBX-APIKEY, then HMAC-SHA256 of (query string + body) without the signature, then the time window.

export async function hmacHex(secret: string, payload: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Splits `a=1&b=2&signature=x` into the signed part and the signature. */
function stripSignature(raw: string): { payload: string; signature?: string } {
  let signature: string | undefined;
  const kept = raw.split("&").filter((part) => {
    if (part.startsWith("signature=")) {
      signature = decodeURIComponent(part.slice("signature=".length));
      return false;
    }
    return part !== "";
  });
  return { payload: kept.join("&"), signature };
}

export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

async function authenticate(
  req: Request,
  rawQuery: string,
  rawBody: string,
  params: URLSearchParams,
  ctx: VenueContext,
): Promise<Account> {
  ctx.log.private = true;
  const apiKey = req.headers.get("x-mbx-apikey");
  if (!apiKey) throw new BinanceApiError(401, -2014, "API-key format invalid.");
  const account = ctx.engine.accountByApiKey(apiKey);
  if (!account) throw new BinanceApiError(401, -2015, "Invalid API-key, IP, or permissions for action.");
  const query = stripSignature(rawQuery);
  const body = stripSignature(rawBody);
  const signature = query.signature ?? body.signature;
  if (!signature) throw mandatory("signature");
  ctx.log.signed = true;
  const timestamp = parseInteger(params, "timestamp");
  if (timestamp === undefined) throw mandatory("timestamp");
  const recvWindow = parseInteger(params, "recvWindow") ?? DEFAULT_RECV_WINDOW_MS;
  if (recvWindow > MAX_RECV_WINDOW_MS) {
    throw new BinanceApiError(400, -1131, "recvWindow must be less than 60000");
  }
  const expected = await hmacHex(account.secret, query.payload + body.payload);
  if (!constantTimeEqual(expected, signature.toLowerCase())) {
    throw new BinanceApiError(400, -1022, "Signature for this request is not valid.");
  }
  const now = ctx.clock.now();
  if (timestamp > now + MAX_CLOCK_AHEAD_MS) {
    throw new BinanceApiError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.");
  }
  if (now - timestamp > recvWindow) {
    throw new BinanceApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.");
  }
  return account;
}

// ---------------------------------------------------------------------------------------------------------------
// Response shapes

function symbolInfo(m: MarketInfo) {
  return {
    symbol: marketId(m),
    status: m.status ?? "TRADING",
    baseAsset: m.base,
    baseAssetPrecision: 8,
    quoteAsset: m.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT"],
    icebergAllowed: false,
    ocoAllowed: true,
    otoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: false,
    cancelReplaceAllowed: false,
    amendAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: "PRICE_FILTER", minPrice: dec(m.tickSize), maxPrice: dec(1_000_000), tickSize: dec(m.tickSize) },
      { filterType: "LOT_SIZE", minQty: dec(m.minQty), maxQty: dec(m.maxQty), stepSize: dec(m.stepSize) },
      { filterType: "MARKET_LOT_SIZE", minQty: dec(0), maxQty: dec(m.maxQty), stepSize: dec(0) },
      {
        filterType: "NOTIONAL",
        minNotional: dec(m.minNotional),
        applyMinToMarket: true,
        maxNotional: dec(9_000_000),
        applyMaxToMarket: false,
        avgPriceMins: 5,
      },
    ],
    permissions: [],
    permissionSets: [["SPOT"]],
    defaultSelfTradePreventionMode: "EXPIRE_MAKER",
    allowedSelfTradePreventionModes: ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
  };
}

function ticker24h(t: SimTicker, id: string) {
  const change = t.last - t.open24h;
  return {
    symbol: id,
    priceChange: dec(change),
    priceChangePercent: (t.open24h > 0 ? (change / t.open24h) * 100 : 0).toFixed(3),
    weightedAvgPrice: dec(t.baseVolume24h > 0 ? t.quoteVolume24h / t.baseVolume24h : t.last),
    prevClosePrice: dec(t.open24h),
    lastPrice: dec(t.last),
    lastQty: dec(0),
    bidPrice: dec(t.bid),
    bidQty: dec(t.bidQty),
    askPrice: dec(t.ask),
    askQty: dec(t.askQty),
    openPrice: dec(t.open24h),
    highPrice: dec(t.high24h),
    lowPrice: dec(t.low24h),
    volume: dec(t.baseVolume24h),
    quoteVolume: dec(t.quoteVolume24h),
    openTime: t.timestamp - 86_400_000,
    closeTime: t.timestamp,
    firstId: -1,
    lastId: -1,
    count: 0,
  };
}

function bookTicker(t: SimTicker, id: string) {
  return { symbol: id, bidPrice: dec(t.bid), bidQty: dec(t.bidQty), askPrice: dec(t.ask), askQty: dec(t.askQty) };
}

const STATUS: Record<OrderStatus, string> = {
  new: "NEW",
  partially_filled: "PARTIALLY_FILLED",
  filled: "FILLED",
  canceled: "CANCELED",
  expired: "EXPIRED",
};

function orderType(o: SimOrder): string {
  if (o.stopPrice !== undefined) return o.type === "market" ? "STOP_LOSS" : "STOP_LOSS_LIMIT";
  if (o.type === "market") return "MARKET";
  return o.postOnly ? "LIMIT_MAKER" : "LIMIT";
}

function orderFields(o: SimOrder, id: string) {
  return {
    symbol: id,
    orderId: Number(o.orderId),
    orderListId: o.orderListId === undefined ? -1 : Number(o.orderListId),
    clientOrderId: o.clientOrderId,
    price: dec(o.price),
    origQty: dec(o.amount),
    executedQty: dec(o.filled),
    origQuoteOrderQty: dec(o.quoteAmount),
    cummulativeQuoteQty: dec(o.cost),
    status: o.held ? "PENDING_NEW" : STATUS[o.status],
    timeInForce: o.type === "market" || o.postOnly ? "GTC" : o.timeInForce,
    type: orderType(o),
    side: o.side.toUpperCase(),
    workingTime: o.createdAt,
    selfTradePreventionMode: "NONE",
  };
}

function queriedOrder(o: SimOrder, id: string) {
  const open = o.status === "new" || o.status === "partially_filled";
  return {
    ...orderFields(o, id),
    stopPrice: dec(o.stopPrice ?? 0),
    icebergQty: dec(0),
    time: o.createdAt,
    updateTime: o.updatedAt,
    // a stop leg is open but not working until its trigger
    isWorking: open && !o.held && (o.stopPrice === undefined || o.triggered === true),
  };
}

function fill(t: SimTrade) {
  return {
    price: dec(t.price),
    qty: dec(t.amount),
    commission: dec(t.fee),
    commissionAsset: t.feeAsset,
    tradeId: Number(t.tradeId),
  };
}

function myTrade(t: SimTrade, id: string) {
  return {
    symbol: id,
    id: Number(t.tradeId),
    orderId: Number(t.orderId),
    orderListId: -1, // the simulator's trades do not carry their order's list
    price: dec(t.price),
    qty: dec(t.amount),
    quoteQty: dec(t.cost),
    commission: dec(t.fee),
    commissionAsset: t.feeAsset,
    time: t.timestamp,
    isBuyer: t.side === "buy",
    isMaker: t.isMaker,
    isBestMatch: true,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Endpoints

function rejectionToApiError(error: SimRejection, forCancel: boolean): BinanceApiError {
  switch (error.reason) {
    case "unknown_symbol":
      return new BinanceApiError(400, -1121, "Invalid symbol.");
    case "invalid_price":
      return new BinanceApiError(400, -1013, "Filter failure: PRICE_FILTER");
    case "invalid_quantity":
    case "min_quantity":
    case "max_quantity":
      return new BinanceApiError(400, -1013, "Filter failure: LOT_SIZE");
    case "min_notional":
      return new BinanceApiError(400, -1013, "Filter failure: NOTIONAL");
    case "insufficient_balance":
      return new BinanceApiError(400, -2010, "Account has insufficient balance for requested action.");
    case "duplicate_client_order_id":
      return new BinanceApiError(400, -2010, "Duplicate order sent.");
    case "post_only_would_take":
      return new BinanceApiError(400, -2010, "Order would immediately match and take.");
    case "order_not_found":
      return forCancel
        ? new BinanceApiError(400, -2011, "Unknown order sent.")
        : new BinanceApiError(400, -2013, "Order does not exist.");
    case "order_not_open":
      return new BinanceApiError(400, -2011, "Unknown order sent.");
    case "invalid_parameter":
      return new BinanceApiError(400, -1102, error.message);
    case "market_closed":
      return new BinanceApiError(400, -2010, "Market is closed.");
    case "price_relation":
      return new BinanceApiError(400, -2010, "The relationship of the prices for the orders is not correct.");
  }
}

function parseSide(params: URLSearchParams): OrderSide {
  const side = params.get("side");
  if (!side) throw mandatory("side");
  if (side !== "BUY" && side !== "SELL") throw new BinanceApiError(400, -1117, "Invalid side.");
  return side === "BUY" ? "buy" : "sell";
}

function orderRequest(engine: VenueEngine, params: URLSearchParams): PlaceOrderRequest {
  const market = resolveSymbol(engine, params.get("symbol") ?? undefined);
  const side = parseSide(params);
  const type = params.get("type");
  if (!type) throw mandatory("type");
  const quantity = parseNumber(params, "quantity");
  const quoteOrderQty = parseNumber(params, "quoteOrderQty");
  const price = parseNumber(params, "price");
  const clientOrderId = params.get("newClientOrderId") || undefined;
  if (clientOrderId !== undefined && !/^[.A-Z:/a-z0-9_-]{1,36}$/.test(clientOrderId)) {
    throw new BinanceApiError(
      400,
      -1100,
      "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
    );
  }
  const base = { symbol: market.symbol, side, clientOrderId };
  if (type === "LIMIT" || type === "LIMIT_MAKER") {
    if (quantity === undefined) throw mandatory("quantity");
    if (price === undefined) throw mandatory("price");
    let timeInForce: TimeInForce = "GTC";
    if (type === "LIMIT") {
      const tif = params.get("timeInForce");
      if (!tif) throw mandatory("timeInForce");
      if (tif !== "GTC" && tif !== "IOC" && tif !== "FOK") {
        throw new BinanceApiError(400, -1115, "Invalid timeInForce.");
      }
      timeInForce = tif;
    } else if (params.has("timeInForce")) {
      throw new BinanceApiError(400, -1106, "Parameter 'timeInForce' sent when not required.");
    }
    return { ...base, type: "limit", amount: quantity, price, timeInForce, postOnly: type === "LIMIT_MAKER" };
  }
  if (type === "MARKET") {
    if (price !== undefined) throw new BinanceApiError(400, -1106, "Parameter 'price' sent when not required.");
    if (quantity === undefined && quoteOrderQty === undefined) throw mandatory("quantity");
    return {
      ...base,
      type: "market",
      amount: quantity,
      quoteAmount: quantity === undefined ? quoteOrderQty : undefined,
    };
  }
  if (type === "STOP_LOSS" || type === "STOP_LOSS_LIMIT") {
    // A lone stop order (ccxt createOrder with stopLossPrice): waits for its trigger, then works.
    const stopPrice = parseNumber(params, "stopPrice");
    if (stopPrice === undefined) throw mandatory("stopPrice");
    if (quantity === undefined) throw mandatory("quantity");
    if (type === "STOP_LOSS") return { ...base, type: "market", amount: quantity, stopPrice };
    if (price === undefined) throw mandatory("price");
    const tif = params.get("timeInForce");
    if (!tif) throw mandatory("timeInForce");
    if (tif !== "GTC" && tif !== "IOC" && tif !== "FOK") throw new BinanceApiError(400, -1115, "Invalid timeInForce.");
    return { ...base, type: "limit", amount: quantity, price, stopPrice, timeInForce: tif };
  }
  throw new BinanceApiError(400, -1116, "Invalid orderType.");
}

function orderRef(params: URLSearchParams): { orderId?: string; clientOrderId?: string } {
  const orderId = parseInteger(params, "orderId");
  const clientOrderId = params.get("origClientOrderId") || undefined;
  if (orderId === undefined && clientOrderId === undefined) {
    throw new BinanceApiError(
      400,
      -1102,
      "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
    );
  }
  return orderId !== undefined ? { orderId: String(orderId) } : { clientOrderId };
}

// ---------------------------------------------------------------------------------------------------------------
// Order lists (OCO, new-style POST /api/v3/orderList/oco)

function listShape(engine: VenueEngine, list: SimOrderList, reports: boolean) {
  const id = marketId(engine.market(list.symbol)!);
  const legs = engine.orderListLegs(list);
  return {
    orderListId: Number(list.orderListId),
    contingencyType: list.contingencyType,
    listStatusType: list.listStatusType,
    listOrderStatus: list.listOrderStatus,
    listClientOrderId: list.listClientOrderId,
    transactionTime: list.transactionTime,
    symbol: id,
    orders: legs.map((o) => ({ symbol: id, orderId: Number(o.orderId), clientOrderId: o.clientOrderId })),
    ...(reports
      ? {
        orderReports: legs.map((o) => ({
          ...orderFields(o, id),
          transactTime: list.transactionTime,
          ...(o.stopPrice === undefined ? {} : { stopPrice: dec(o.stopPrice) }),
        })),
      }
      : {}),
  };
}

const LEG_TYPES: Record<string, OcoLeg["type"]> = {
  LIMIT_MAKER: "limit_maker",
  STOP_LOSS: "stop_loss",
  STOP_LOSS_LIMIT: "stop_loss_limit",
};

/** One OCO leg's parameters: `above…` / `below…` (OCO) or `pendingAbove…` / `pendingBelow…` (OTOCO). */
function ocoLeg(params: URLSearchParams, prefix: string): OcoLeg {
  const rawType = params.get(`${prefix}Type`);
  if (!rawType) throw mandatory(`${prefix}Type`);
  const type = LEG_TYPES[rawType];
  if (!type) {
    // TAKE_PROFIT and TAKE_PROFIT_LIMIT legs are valid on Binance; the simulator does not model them.
    throw new BinanceApiError(400, -1116, "Invalid orderType.");
  }
  const price = parseNumber(params, `${prefix}Price`);
  const stopPrice = parseNumber(params, `${prefix}StopPrice`);
  const tif = params.get(`${prefix}TimeInForce`) || undefined;
  if (type === "stop_loss_limit" && tif === undefined) throw mandatory(`${prefix}TimeInForce`);
  if (tif !== undefined && tif !== "GTC" && tif !== "IOC" && tif !== "FOK") {
    throw new BinanceApiError(400, -1115, "Invalid timeInForce.");
  }
  if (type === "limit_maker" && price === undefined) throw mandatory(`${prefix}Price`);
  if (type !== "limit_maker" && stopPrice === undefined) throw mandatory(`${prefix}StopPrice`);
  if (type === "stop_loss_limit" && price === undefined) throw mandatory(`${prefix}Price`);
  const clientOrderId = params.get(`${prefix}ClientOrderId`) || undefined;
  return { type, price, stopPrice, timeInForce: tif as OcoLeg["timeInForce"], clientOrderId };
}

function listRef(params: URLSearchParams, clientName: string): { orderListId?: string; listClientOrderId?: string } {
  const orderListId = parseInteger(params, "orderListId");
  const listClientOrderId = params.get(clientName) || undefined;
  if (orderListId === undefined && listClientOrderId === undefined) {
    throw new BinanceApiError(
      400,
      -1102,
      `Param '${clientName}' or 'orderListId' must be sent, but both were empty/null!`,
    );
  }
  return orderListId !== undefined ? { orderListId: String(orderListId) } : { listClientOrderId };
}

function listRejection(error: unknown, forCancel: boolean): never {
  if (error instanceof SimRejection && (error.reason === "order_not_found" || error.reason === "order_not_open")) {
    throw forCancel
      ? new BinanceApiError(400, -2011, "Unknown order list sent.")
      : new BinanceApiError(400, -2013, "Order list does not exist.");
  }
  if (error instanceof SimRejection) throw rejectionToApiError(error, forCancel);
  throw error;
}

type Route = (p: {
  params: URLSearchParams;
  ctx: VenueContext;
  account: () => Promise<Account>;
}) => Promise<unknown> | unknown;

const PUBLIC: Record<string, Route> = {
  "GET /api/v3/ping": () => ({}),
  "GET /api/v3/time": ({ ctx }) => ({ serverTime: ctx.clock.now() }),
  "GET /api/v3/exchangeInfo": ({ params, ctx }) => {
    const one = params.get("symbol");
    const many = params.get("symbols");
    const markets = one ? [resolveSymbol(ctx.engine, one)] : many ? parseSymbolList(ctx.engine, many) : [];
    const limits = ctx.limits.binance.figures();
    const head = {
      timezone: "UTC",
      serverTime: ctx.clock.now(),
      rateLimits: [
        { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: limits.requestWeightPerMinute },
        { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: limits.ordersPer10s },
        { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: limits.ordersPerDay },
        { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61000 },
      ],
      exchangeFilters: [],
      symbols: markets.map(symbolInfo),
    };
    if (one || many) return head;
    // The full listing: splice the cached symbols text in instead of serialising thousands of objects per request.
    const text = JSON.stringify({ ...head, symbols: [] });
    return new RawJson(`${text.slice(0, -"[]}".length)}${allSymbolsJson(ctx.engine)}}`);
  },
  "GET /api/v3/ticker/24hr": ({ params, ctx }) => tickerRoute(params, ctx, ticker24h),
  "GET /api/v3/ticker/bookTicker": ({ params, ctx }) => tickerRoute(params, ctx, bookTicker),
  "GET /api/v3/ticker/price": ({ params, ctx }) =>
    tickerRoute(params, ctx, (t, id) => ({ symbol: id, price: dec(t.last) })),
  "GET /api/v3/depth": ({ params, ctx }) => {
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const limit = Math.min(parseInteger(params, "limit") ?? 100, 5000);
    ctx.engine.marketDataRead([market.symbol]);
    const book = ctx.engine.orderBook(market.symbol, Math.min(limit, 50));
    return {
      lastUpdateId: book.sequence,
      bids: book.bids.map((l) => [dec(l.price), dec(l.qty)]),
      asks: book.asks.map((l) => [dec(l.price), dec(l.qty)]),
    };
  },
};

function tickerRoute<T>(params: URLSearchParams, ctx: VenueContext, shape: (t: SimTicker, id: string) => T): T | T[] {
  const one = params.get("symbol");
  if (one) {
    const market = resolveSymbol(ctx.engine, one);
    ctx.engine.marketDataRead([market.symbol]);
    return shape(ctx.engine.ticker(market.symbol), marketId(market));
  }
  const many = params.get("symbols");
  const markets = many ? parseSymbolList(ctx.engine, many) : ctx.engine.markets();
  ctx.engine.marketDataRead(markets.map((m) => m.symbol));
  return markets.map((m) => shape(ctx.engine.ticker(m.symbol), marketId(m)));
}

function withRejections<T>(forCancel: boolean, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof SimRejection) throw rejectionToApiError(error, forCancel);
    throw error;
  }
}

const PRIVATE: Record<string, Route> = {
  "GET /api/v3/account": async ({ ctx, account }) => {
    const acct = await account();
    const fees = ctx.engine.fees;
    return {
      makerCommission: Math.round(fees.maker * 10_000),
      takerCommission: Math.round(fees.taker * 10_000),
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: { maker: dec(fees.maker), taker: dec(fees.taker), buyer: dec(0), seller: dec(0) },
      canTrade: true,
      canWithdraw: true,
      canDeposit: true,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: ctx.clock.now(),
      accountType: "SPOT",
      balances: ctx.engine.balances(acct.id).map((b) => ({ asset: b.asset, free: dec(b.free), locked: dec(b.locked) })),
      permissions: ["SPOT"],
      uid: 1,
    };
  },
  "POST /api/v3/order": async ({ params, ctx, account }) => {
    const acct = await account();
    enforce(ctx.limits.binance.newOrders(acct.id, ctx.clock.now(), 1));
    const request = orderRequest(ctx.engine, params);
    if (request.clientOrderId !== undefined) ctx.log.clientOrderIds = [request.clientOrderId];
    const order = withRejections(false, () => ctx.engine.placeOrder(acct.id, request));
    const id = marketId(ctx.engine.market(order.symbol)!);
    const respType = params.get("newOrderRespType") ?? "FULL";
    const ack = {
      symbol: id,
      orderId: Number(order.orderId),
      orderListId: -1,
      clientOrderId: order.clientOrderId,
      transactTime: order.createdAt,
    };
    if (respType === "ACK") return ack;
    const result = { ...ack, ...orderFields(order, id) };
    if (respType === "RESULT") return result;
    return { ...result, fills: ctx.engine.myTrades(acct.id, { orderId: order.orderId }).map(fill) };
  },
  "POST /api/v3/orderList/oco": async ({ params, ctx, account }) => {
    const acct = await account();
    enforce(ctx.limits.binance.newOrders(acct.id, ctx.clock.now(), 2));
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const side = parseSide(params);
    const quantity = parseNumber(params, "quantity");
    if (quantity === undefined) throw mandatory("quantity");
    const above = ocoLeg(params, "above");
    const below = ocoLeg(params, "below");
    const listClientOrderId = params.get("listClientOrderId") || undefined;
    const list = withRejections(
      false,
      () =>
        ctx.engine.placeOco(acct.id, {
          symbol: market.symbol,
          side,
          amount: quantity,
          listClientOrderId,
          above,
          below,
        }),
    );
    return listShape(ctx.engine, list, true);
  },
  "POST /api/v3/orderList/otoco": async ({ params, ctx, account }) => {
    const acct = await account();
    enforce(ctx.limits.binance.newOrders(acct.id, ctx.clock.now(), 3));
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const workingType = params.get("workingType");
    if (!workingType) throw mandatory("workingType");
    if (workingType !== "LIMIT" && workingType !== "LIMIT_MAKER") {
      throw new BinanceApiError(400, -1116, "Invalid orderType.");
    }
    const workingSide = params.get("workingSide");
    if (!workingSide) throw mandatory("workingSide");
    if (workingSide !== "BUY" && workingSide !== "SELL") throw new BinanceApiError(400, -1117, "Invalid side.");
    const workingPrice = parseNumber(params, "workingPrice");
    if (workingPrice === undefined) throw mandatory("workingPrice");
    const workingQuantity = parseNumber(params, "workingQuantity");
    if (workingQuantity === undefined) throw mandatory("workingQuantity");
    const tif = params.get("workingTimeInForce") || undefined;
    if (workingType === "LIMIT" && tif === undefined) throw mandatory("workingTimeInForce");
    // The simulator's working order rests GTC; IOC/FOK working orders are not modelled.
    if (tif !== undefined && tif !== "GTC") throw new BinanceApiError(400, -1115, "Invalid timeInForce.");
    const pendingSide = params.get("pendingSide");
    if (!pendingSide) throw mandatory("pendingSide");
    if (pendingSide !== "BUY" && pendingSide !== "SELL") throw new BinanceApiError(400, -1117, "Invalid side.");
    const pendingQuantity = parseNumber(params, "pendingQuantity");
    if (pendingQuantity === undefined) throw mandatory("pendingQuantity");
    const above = ocoLeg(params, "pendingAbove");
    const below = ocoLeg(params, "pendingBelow");
    const list = withRejections(false, () =>
      ctx.engine.placeOtoco(acct.id, {
        symbol: market.symbol,
        listClientOrderId: params.get("listClientOrderId") || undefined,
        working: {
          side: workingSide === "BUY" ? "buy" : "sell",
          type: workingType === "LIMIT" ? "limit" : "limit_maker",
          price: workingPrice,
          amount: workingQuantity,
          clientOrderId: params.get("workingClientOrderId") || undefined,
        },
        pending: { side: pendingSide === "BUY" ? "buy" : "sell", amount: pendingQuantity, above, below },
      }));
    return listShape(ctx.engine, list, true);
  },
  "GET /api/v3/orderList": async ({ params, ctx, account }) => {
    const acct = await account();
    const ref = listRef(params, "origClientOrderId");
    try {
      return listShape(ctx.engine, ctx.engine.orderList(acct.id, ref), false);
    } catch (error) {
      listRejection(error, false);
    }
  },
  "GET /api/v3/openOrderList": async ({ ctx, account }) => {
    const acct = await account();
    return ctx.engine.openOrderLists(acct.id).map((l) => listShape(ctx.engine, l, false));
  },
  "DELETE /api/v3/orderList": async ({ params, ctx, account }) => {
    const acct = await account();
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const ref = listRef(params, "listClientOrderId");
    try {
      return listShape(ctx.engine, ctx.engine.cancelOrderList(acct.id, ref, market.symbol), true);
    } catch (error) {
      listRejection(error, true);
    }
  },
  "GET /api/v3/order": async ({ params, ctx, account }) => {
    const acct = await account();
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const ref = orderRef(params);
    const order = withRejections(false, () => ctx.engine.getOrder(acct.id, ref, market.symbol));
    return queriedOrder(order, marketId(market));
  },
  "DELETE /api/v3/order": async ({ params, ctx, account }) => {
    const acct = await account();
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const ref = orderRef(params);
    const order = withRejections(true, () => ctx.engine.cancelOrder(acct.id, ref, market.symbol));
    return {
      origClientOrderId: order.clientOrderId,
      ...orderFields(order, marketId(market)),
      clientOrderId: params.get("newClientOrderId") || `cancel-${order.orderId}`,
      transactTime: ctx.clock.now(),
    };
  },
  "GET /api/v3/openOrders": async ({ params, ctx, account }) => {
    const acct = await account();
    const symbol = params.get("symbol");
    const market = symbol ? resolveSymbol(ctx.engine, symbol) : undefined;
    return ctx.engine.openOrders(acct.id, market?.symbol).map((o) =>
      queriedOrder(o, marketId(ctx.engine.market(o.symbol)!))
    );
  },
  "DELETE /api/v3/openOrders": async ({ params, ctx, account }) => {
    const acct = await account();
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const open = ctx.engine.openOrders(acct.id, market.symbol);
    return open.map((o) => {
      const cancelled = ctx.engine.cancelOrder(acct.id, { orderId: o.orderId }, market.symbol);
      return { origClientOrderId: cancelled.clientOrderId, ...orderFields(cancelled, marketId(market)) };
    });
  },
  "GET /api/v3/allOrders": async ({ params, ctx, account }) => {
    const acct = await account();
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const limit = Math.min(parseInteger(params, "limit") ?? 500, 1000);
    const since = parseInteger(params, "startTime");
    return ctx.engine.allOrders(acct.id, market.symbol)
      .filter((o) => since === undefined || o.createdAt >= since)
      .slice(-limit)
      .map((o) => queriedOrder(o, marketId(market)));
  },
  "GET /api/v3/myTrades": async ({ params, ctx, account }) => {
    const acct = await account();
    const market = resolveSymbol(ctx.engine, params.get("symbol") ?? undefined);
    const orderId = parseInteger(params, "orderId");
    const limit = Math.min(parseInteger(params, "limit") ?? 500, 1000);
    const since = parseInteger(params, "startTime");
    const until = parseInteger(params, "endTime");
    const fromId = parseInteger(params, "fromId");
    let trades = ctx.engine.myTrades(acct.id, {
      symbol: market.symbol,
      orderId: orderId === undefined ? undefined : String(orderId),
      since,
      until,
      fromId,
    });
    // Binance returns the newest `limit` trades unless a start (time or id) is given.
    trades = since === undefined && fromId === undefined ? trades.slice(-limit) : trades.slice(0, limit);
    return trades.map((t) => myTrade(t, marketId(market)));
  },
};

/** The Binance spot handler (`/api/v3/...`). */
export async function handleBinance(req: Request, ctx: VenueContext): Promise<Response> {
  const url = new URL(req.url);
  const rawQuery = url.search.startsWith("?") ? url.search.slice(1) : url.search;
  const rawBody = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
  const params = new URLSearchParams(rawQuery);
  for (const [k, v] of new URLSearchParams(rawBody)) params.append(k, v);
  const key = `${req.method} ${url.pathname}`;
  const route = PUBLIC[key] ?? PRIVATE[key];
  ctx.log.private = key in PRIVATE;
  const limiter = ctx.limits.binance;
  let accountId: string | undefined;
  // Every answer carries the used weight, and the order counts once the account is known.
  const headers = () => limiter.headers(ctx.clock.now(), accountId);
  try {
    enforce(limiter.request(ctx.clock.now(), binanceWeight(key, params)));
    if (!route) {
      return json({ code: -1, msg: `The simulator does not implement ${key}.` }, 404, headers());
    }
    const account = async () => {
      const acct = await authenticate(req, rawQuery, rawBody, params, ctx);
      accountId = acct.id;
      return acct;
    };
    const body = await route({ params, ctx, account });
    if (body instanceof RawJson) {
      return new Response(body.text, {
        status: 200,
        headers: { "content-type": "application/json;charset=UTF-8", ...headers() },
      });
    }
    return json(body, 200, headers());
  } catch (error) {
    if (error instanceof BinanceApiError) {
      const extra = headers();
      if (error.retryAfterSeconds !== undefined) extra["retry-after"] = String(error.retryAfterSeconds);
      return json({ code: error.code, msg: error.message }, error.status, extra);
    }
    throw error;
  }
}
