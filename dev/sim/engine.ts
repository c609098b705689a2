// The simulator's market engine: one VenueEngine per venue with markets, prices, accounts, orders and fills.
// It is pure and deterministic: no I/O, time comes from an injected Clock, randomness from a seeded PRNG.
//
// NOTE FOR VENUE HANDLERS: binance.ts exports `handleBinance` and okx.ts exports `handleOkx`, both of type
// VenueHandler = (req: Request, ctx: VenueContext) => Promise<Response>. server.ts imports them by those names.
// A handler receives the request with the venue's URL prefix already stripped (OKX sees `/api/v5/...`, Binance
// `/api/v3/...`). The server has already applied faults and synced prices to the clock. The handler sets
// `ctx.log.private` / `ctx.log.signed` once it knows, and translates SimRejection reasons to the venue's codes.
// These exported types and method signatures are stable; additions only.

import { deriveSeed, gaussian, mulberry32, type Random } from "./prng.ts";

// ---------------------------------------------------------------------------------------------------------------
// Types

export type VenueId = "binance" | "okx";
export const VENUE_IDS: readonly VenueId[] = ["binance", "okx"];

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

export type OrderSide = "buy" | "sell";
export type OrderType = "limit" | "market";
export type TimeInForce = "GTC" | "IOC" | "FOK";
export type OrderStatus = "new" | "partially_filled" | "filled" | "canceled" | "expired";

/** One market's rules and price-process parameters. Symbols are ccxt unified (`BTC/USDT`). */
export interface MarketConfig {
  symbol: string;
  tickSize: number;
  /** lot step for the base amount */
  stepSize: number;
  minQty: number;
  maxQty: number;
  /** minimum price * amount in quote; 0 disables */
  minNotional: number;
  /** initial mid price */
  price: number;
  /** quoted spread in basis points of mid; at least one tick is always kept */
  spreadBps: number;
  /** standard deviation of the log-mid move per price step, in basis points */
  volatilityBps: number;
  /** mean log-mid move per price step, in basis points */
  driftBps: number;
  /** base amount available at the best bid and best ask per price step: the partial-fill knob */
  topOfBookQty: number;
}

export interface FeeSchedule {
  /** fractions, e.g. 0.001 = 0.1 % */
  maker: number;
  taker: number;
}

export interface AccountConfig {
  apiKey: string;
  secret: string;
  /** OKX only */
  passphrase?: string;
  /** free balances per asset */
  balances: Record<string, number>;
}

export interface VenueConfig {
  markets: MarketConfig[];
  fees: FeeSchedule;
  accounts: AccountConfig[];
  /** prices step on their own every this many ms of clock time; 0 = only on demand (step()) */
  priceStepIntervalMs: number;
  /** where a client order id must be unique: among open orders (Binance, OKX) or among all orders */
  clientOrderIdScope: "open" | "all";
  /** the first exchange order id; ids count up from here */
  orderIdStart: number;
}

export interface SimConfig {
  binance: VenueConfig;
  okx: VenueConfig;
}

/** A scripted quote: explicit bid/ask, or a mid with an absolute spread. */
export type PricePoint = { bid: number; ask: number } | { mid: number; spread: number };

export interface MarketInfo extends MarketConfig {
  base: string;
  quote: string;
}

export interface Quote {
  bid: number;
  ask: number;
  /** liquidity still available at the best bid/ask in this price step */
  bidQty: number;
  askQty: number;
}

export interface SimTicker extends Quote {
  symbol: string;
  last: number;
  open24h: number;
  high24h: number;
  low24h: number;
  /** volume of this simulator's own trades in the last 24 h */
  baseVolume24h: number;
  quoteVolume24h: number;
  timestamp: number;
}

export interface BookLevel {
  price: number;
  qty: number;
}

export interface OrderBookSnapshot {
  symbol: string;
  bids: BookLevel[];
  asks: BookLevel[];
  timestamp: number;
  /** increases with every price step */
  sequence: number;
}

export interface BalanceEntry {
  asset: string;
  free: number;
  locked: number;
}

export interface Account {
  id: string;
  apiKey: string;
  secret: string;
  passphrase?: string;
}

export interface PlaceOrderRequest {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  /** base amount; required except for a market buy sized by quoteAmount */
  amount?: number;
  /** market orders only: spend (buy) or receive (sell) this much quote instead of a base amount */
  quoteAmount?: number;
  /** limit orders only */
  price?: number;
  /** generated (`sim-<n>`) when absent */
  clientOrderId?: string;
  /** default GTC for limit, IOC for market */
  timeInForce?: TimeInForce;
  /** reject instead of taking liquidity (Binance LIMIT_MAKER, OKX post_only) */
  postOnly?: boolean;
}

export interface SimOrder {
  orderId: string;
  clientOrderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  /** limit price; undefined for market orders */
  price?: number;
  /** base amount ordered; for a quote-sized market order the amount actually bought or sold */
  amount: number;
  quoteAmount?: number;
  filled: number;
  /** cumulative quote amount of the fills */
  cost: number;
  /** cost / filled, 0 before the first fill */
  average: number;
  feeAsset: string;
  feeTotal: number;
  status: OrderStatus;
  createdAt: number;
  updatedAt: number;
  /** quote still locked for a buy / base still locked for a sell */
  lockedRemaining: number;
}

export interface SimTrade {
  tradeId: string;
  orderId: string;
  clientOrderId: string;
  accountId: string;
  symbol: string;
  side: OrderSide;
  price: number;
  amount: number;
  cost: number;
  fee: number;
  feeAsset: string;
  isMaker: boolean;
  timestamp: number;
}

export interface OrderRef {
  orderId?: string;
  clientOrderId?: string;
}

export interface TradeQuery {
  symbol?: string;
  orderId?: string;
  /** epoch ms, inclusive */
  since?: number;
  /** epoch ms, inclusive */
  until?: number;
  /** trades with an id greater than or equal to this (Binance fromId) */
  fromId?: number;
  limit?: number;
}

export type RejectionReason =
  | "unknown_symbol"
  | "invalid_parameter"
  | "invalid_price" // price <= 0 or not a multiple of tickSize
  | "invalid_quantity" // amount <= 0 or not a multiple of stepSize
  | "min_quantity"
  | "max_quantity"
  | "min_notional"
  | "insufficient_balance"
  | "duplicate_client_order_id"
  | "post_only_would_take"
  | "order_not_found"
  | "order_not_open"; // cancel of a filled/cancelled/expired order

/** A business rejection; venue handlers turn `reason` into their own error code. */
export class SimRejection extends Error {
  constructor(readonly reason: RejectionReason, message: string) {
    super(message);
    this.name = "SimRejection";
  }
}

/** One HTTP request as the server saw it; tests assert on these (e.g. "no private endpoint was called"). */
export interface RequestLogEntry {
  id: number;
  venue: VenueId | "admin" | "unknown";
  method: string;
  /** path as the venue sees it (prefix stripped) */
  path: string;
  query: string;
  /** the endpoint needs an API key (set by the handler; defaults to "an auth header was sent") */
  private: boolean;
  /** the request carried a signature */
  signed: boolean;
  arrivedAtPerf: number;
  arrivedAtMs: number;
  respondedAtPerf?: number;
  respondedAtMs?: number;
  status?: number;
  /** the fault kind the server applied, if any */
  fault?: string;
}

/** Everything a venue handler gets besides the request. */
export interface VenueContext {
  venue: VenueId;
  engine: VenueEngine;
  clock: Clock;
  log: RequestLogEntry;
}

/** A venue's protocol adapter: Binance in binance.ts, OKX in okx.ts. */
export type VenueHandler = (req: Request, ctx: VenueContext) => Promise<Response>;

// ---------------------------------------------------------------------------------------------------------------
// Number helpers: the engine keeps plain numbers, rounded so float dust never breaks a comparison.

const DUST = 1e-9;

/** Rounds to 10 decimals: enough for every asset here, and removes float noise. */
export function clean(x: number): number {
  return Number(x.toFixed(10));
}

/** True when `value` is a whole multiple of `step` (within float noise). */
export function isMultipleOf(value: number, step: number): boolean {
  if (step <= 0) return true;
  const ratio = value / step;
  return Math.abs(ratio - Math.round(ratio)) < 1e-7;
}

/** Rounds down to a multiple of `step`. */
export function floorToStep(value: number, step: number): number {
  if (step <= 0) return value;
  return clean(Math.floor(value / step + 1e-9) * step);
}

function roundToStep(value: number, step: number): number {
  return clean(Math.round(value / step) * step);
}

/** The number of decimals in a step like 0.001 (3), for formatting. */
export function decimalsOf(step: number): number {
  if (step >= 1) return 0;
  return Math.max(0, Math.round(-Math.log10(step)));
}

// ---------------------------------------------------------------------------------------------------------------
// Prices of one symbol

interface HistoryPoint {
  t: number;
  mid: number;
}

class SymbolMarket {
  bid: number;
  ask: number;
  bidLiquidity: number;
  askLiquidity: number;
  sequence = 1;
  private path: PricePoint[] = [];
  private history: HistoryPoint[] = [];
  private tradeVolume: { t: number; base: number; quote: number }[] = [];
  lastTradePrice?: number;

  constructor(readonly info: MarketInfo, private readonly random: Random, now: number) {
    const half = Math.max(info.tickSize, (info.price * info.spreadBps) / 20000);
    this.bid = floorToStep(info.price - half, info.tickSize);
    this.ask = Math.max(clean(this.bid + info.tickSize), roundToStep(info.price + half, info.tickSize));
    this.bidLiquidity = info.topOfBookQty;
    this.askLiquidity = info.topOfBookQty;
    this.history.push({ t: now, mid: this.mid() });
  }

  mid(): number {
    return (this.bid + this.ask) / 2;
  }

  setPath(points: PricePoint[]): void {
    this.path = [...points];
  }

  clearPath(): void {
    this.path = [];
  }

  hasPath(): boolean {
    return this.path.length > 0;
  }

  /** One price step: the next scripted point, or a random-walk move when no path is set. */
  step(now: number, scripted: boolean): void {
    const point = this.path.shift();
    if (point) {
      this.apply(point);
    } else if (!scripted) {
      const move = (this.info.driftBps + this.info.volatilityBps * gaussian(this.random)) / 10000;
      const mid = Math.max(this.info.tickSize * 2, this.mid() * Math.exp(move));
      const half = Math.max(this.info.tickSize / 2, (mid * this.info.spreadBps) / 20000);
      const bid = Math.max(this.info.tickSize, floorToStep(mid - half, this.info.tickSize));
      this.bid = bid;
      this.ask = Math.max(clean(bid + this.info.tickSize), roundToStep(mid + half, this.info.tickSize));
    }
    this.bidLiquidity = this.info.topOfBookQty;
    this.askLiquidity = this.info.topOfBookQty;
    this.sequence++;
    this.record(now);
  }

  apply(point: PricePoint): void {
    const { bid, ask } = "bid" in point
      ? point
      : { bid: point.mid - point.spread / 2, ask: point.mid + point.spread / 2 };
    if (!(bid > 0) || !(ask >= bid)) {
      throw new SimRejection("invalid_parameter", `scripted quote needs 0 < bid <= ask, got bid=${bid} ask=${ask}`);
    }
    this.bid = clean(bid);
    this.ask = clean(ask);
  }

  private record(now: number): void {
    this.history.push({ t: now, mid: this.mid() });
    const cutoff = now - 86_400_000;
    while (this.history.length > 1 && (this.history[0].t < cutoff || this.history.length > 100_000)) {
      this.history.shift();
    }
  }

  recordTrade(now: number, price: number, base: number, quote: number): void {
    this.lastTradePrice = price;
    this.tradeVolume.push({ t: now, base, quote });
    const cutoff = now - 86_400_000;
    while (this.tradeVolume.length > 0 && (this.tradeVolume[0].t < cutoff || this.tradeVolume.length > 100_000)) {
      this.tradeVolume.shift();
    }
  }

  ticker(now: number): SimTicker {
    const cutoff = now - 86_400_000;
    const window = this.history.filter((p) => p.t >= cutoff);
    const mids = window.length > 0 ? window.map((p) => p.mid) : [this.mid()];
    const trades = this.tradeVolume.filter((v) => v.t >= cutoff);
    const tick = this.info.tickSize;
    return {
      symbol: this.info.symbol,
      bid: this.bid,
      ask: this.ask,
      bidQty: clean(this.bidLiquidity),
      askQty: clean(this.askLiquidity),
      last: this.lastTradePrice ?? roundToStep(this.mid(), tick),
      open24h: roundToStep(mids[0], tick),
      high24h: roundToStep(Math.max(...mids, this.ask), tick),
      low24h: roundToStep(Math.min(...mids, this.bid), tick),
      baseVolume24h: clean(trades.reduce((s, v) => s + v.base, 0)),
      quoteVolume24h: clean(trades.reduce((s, v) => s + v.quote, 0)),
      timestamp: now,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The venue engine

interface AccountState extends Account {
  balances: Map<string, { free: number; locked: number }>;
}

/** A venue's whole market: prices per symbol, accounts, orders, trades. Handlers call only these methods. */
export class VenueEngine {
  readonly venue: VenueId;
  readonly fees: FeeSchedule;
  readonly clock: Clock;
  private readonly config: VenueConfig;
  private readonly symbols = new Map<string, SymbolMarket>();
  private readonly accounts = new Map<string, AccountState>();
  private readonly accountsByKey = new Map<string, AccountState>();
  private readonly orders = new Map<string, SimOrder>();
  /** order ids in arrival order: time priority for matching */
  private readonly openOrderIds: string[] = [];
  private readonly trades: SimTrade[] = [];
  /** symbols following a scripted path (held at the last point once it runs out) */
  private readonly scripted = new Set<string>();
  private nextOrderId: number;
  private nextTradeId = 1;
  private nextClientId = 1;
  private lastStepAt: number;

  constructor(venue: VenueId, config: VenueConfig, options: { seed: number; clock?: Clock }) {
    this.venue = venue;
    this.config = config;
    this.fees = { ...config.fees };
    this.clock = options.clock ?? realClock;
    this.nextOrderId = config.orderIdStart;
    const now = this.clock.now();
    this.lastStepAt = now;
    for (const market of config.markets) {
      const [base, quote] = market.symbol.split("/");
      if (!base || !quote) {
        throw new SimRejection("invalid_parameter", `market symbol must be BASE/QUOTE: ${market.symbol}`);
      }
      const random = mulberry32(deriveSeed(options.seed, `${venue}:${market.symbol}`));
      this.symbols.set(market.symbol, new SymbolMarket({ ...market, base, quote }, random, now));
    }
    config.accounts.forEach((account, index) => this.addAccount(account, `${venue}-account-${index + 1}`));
  }

  // --- accounts and balances

  addAccount(config: AccountConfig, id = `${this.venue}-account-${this.accounts.size + 1}`): Account {
    if (this.accountsByKey.has(config.apiKey)) {
      throw new SimRejection("invalid_parameter", `apiKey already used: ${config.apiKey}`);
    }
    const state: AccountState = {
      id,
      apiKey: config.apiKey,
      secret: config.secret,
      passphrase: config.passphrase,
      balances: new Map(),
    };
    for (const [asset, free] of Object.entries(config.balances)) state.balances.set(asset, { free, locked: 0 });
    this.accounts.set(id, state);
    this.accountsByKey.set(config.apiKey, state);
    return this.publicAccount(state);
  }

  accountByApiKey(apiKey: string): Account | undefined {
    const state = this.accountsByKey.get(apiKey);
    return state ? this.publicAccount(state) : undefined;
  }

  listAccounts(): Account[] {
    return [...this.accounts.values()].map((s) => this.publicAccount(s));
  }

  /** All assets the account has ever held, zero balances included, sorted by asset. */
  balances(accountId: string): BalanceEntry[] {
    const account = this.account(accountId);
    return [...account.balances.entries()]
      .map(([asset, b]) => ({ asset, free: clean(b.free), locked: clean(b.locked) }))
      .sort((a, b) => a.asset.localeCompare(b.asset));
  }

  balance(accountId: string, asset: string): BalanceEntry {
    const b = this.account(accountId).balances.get(asset) ?? { free: 0, locked: 0 };
    return { asset, free: clean(b.free), locked: clean(b.locked) };
  }

  /** Sets the free amount (and optionally the locked amount) of an asset directly: a test and admin tool. */
  setBalance(accountId: string, asset: string, free: number, locked?: number): void {
    const account = this.account(accountId);
    const current = account.balances.get(asset) ?? { free: 0, locked: 0 };
    account.balances.set(asset, { free, locked: locked ?? current.locked });
  }

  // --- markets and prices

  markets(): MarketInfo[] {
    return [...this.symbols.values()].map((s) => ({ ...s.info }));
  }

  market(symbol: string): MarketInfo | undefined {
    const s = this.symbols.get(symbol);
    return s ? { ...s.info } : undefined;
  }

  quote(symbol: string): Quote {
    const s = this.symbolMarket(symbol);
    return { bid: s.bid, ask: s.ask, bidQty: clean(s.bidLiquidity), askQty: clean(s.askLiquidity) };
  }

  ticker(symbol: string): SimTicker {
    return this.symbolMarket(symbol).ticker(this.clock.now());
  }

  tickers(symbols?: string[]): SimTicker[] {
    const list = symbols ?? [...this.symbols.keys()];
    return list.map((symbol) => this.ticker(symbol));
  }

  /** A synthetic book: the quote's best level with its remaining liquidity, then deeper levels one tick apart. */
  orderBook(symbol: string, depth = 5): OrderBookSnapshot {
    const s = this.symbolMarket(symbol);
    const { tickSize, topOfBookQty } = s.info;
    const bids: BookLevel[] = [];
    const asks: BookLevel[] = [];
    for (let i = 0; i < Math.max(1, depth); i++) {
      const deeper = clean(topOfBookQty * (1 + i));
      const bidPrice = clean(s.bid - i * tickSize);
      if (bidPrice > 0) bids.push({ price: bidPrice, qty: i === 0 ? clean(s.bidLiquidity) : deeper });
      asks.push({ price: clean(s.ask + i * tickSize), qty: i === 0 ? clean(s.askLiquidity) : deeper });
    }
    return { symbol, bids, asks, timestamp: this.clock.now(), sequence: s.sequence };
  }

  /** Scripted quotes for `symbol`, consumed one per price step; the last one holds once the path runs out. */
  setPath(symbol: string, points: PricePoint[]): void {
    this.symbolMarket(symbol).setPath(points);
    this.scripted.add(symbol);
  }

  /** Back to the random walk from the current price. */
  clearPath(symbol: string): void {
    this.symbolMarket(symbol).clearPath();
    this.scripted.delete(symbol);
  }

  /** Sets the quote now (fresh top-of-book liquidity) and matches resting orders against it. */
  setQuote(symbol: string, point: PricePoint): void {
    const s = this.symbolMarket(symbol);
    s.apply(point);
    s.bidLiquidity = s.info.topOfBookQty;
    s.askLiquidity = s.info.topOfBookQty;
    s.sequence++;
    this.matchResting(symbol);
  }

  /** Advances every symbol `count` price steps and matches resting orders after each. */
  step(count = 1): void {
    const now = this.clock.now();
    for (let i = 0; i < count; i++) {
      for (const [symbol, s] of this.symbols) {
        s.step(now, this.scripted.has(symbol));
        this.matchResting(symbol);
      }
    }
  }

  /** Runs the price steps that are due by the clock (bounded to 10 000 per call). Returns how many ran. */
  sync(): number {
    const interval = this.config.priceStepIntervalMs;
    const now = this.clock.now();
    if (interval <= 0) {
      this.lastStepAt = now;
      return 0;
    }
    const due = Math.floor((now - this.lastStepAt) / interval);
    if (due <= 0) return 0;
    this.lastStepAt += due * interval;
    const count = Math.min(due, 10_000);
    this.step(count);
    return count;
  }

  // --- orders

  placeOrder(accountId: string, req: PlaceOrderRequest): SimOrder {
    const account = this.account(accountId);
    const market = this.symbols.get(req.symbol);
    if (!market) throw new SimRejection("unknown_symbol", `unknown symbol: ${req.symbol}`);
    const info = market.info;
    const clientOrderId = req.clientOrderId ?? `sim-${this.venue}-${this.nextClientId++}`;
    this.checkClientOrderId(accountId, clientOrderId);
    const timeInForce = req.timeInForce ?? (req.type === "market" ? "IOC" : "GTC");

    let price: number | undefined;
    if (req.type === "limit") {
      price = req.price;
      if (price === undefined || !(price > 0) || !isMultipleOf(price, info.tickSize)) {
        throw new SimRejection("invalid_price", `price ${price} is not a positive multiple of ${info.tickSize}`);
      }
      price = roundToStep(price, info.tickSize);
    } else if (req.price !== undefined) {
      throw new SimRejection("invalid_parameter", "a market order takes no price");
    }

    let amount = req.amount;
    if (req.type === "market" && amount === undefined && req.quoteAmount !== undefined) {
      if (!(req.quoteAmount > 0)) throw new SimRejection("invalid_quantity", `quoteAmount must be > 0`);
      const reference = req.side === "buy" ? market.ask : market.bid;
      amount = floorToStep(req.quoteAmount / reference, info.stepSize);
    }
    if (amount === undefined || !(amount > 0) || !isMultipleOf(amount, info.stepSize)) {
      throw new SimRejection("invalid_quantity", `amount ${amount} is not a positive multiple of ${info.stepSize}`);
    }
    amount = roundToStep(amount, info.stepSize);
    if (amount < info.minQty - DUST) throw new SimRejection("min_quantity", `amount ${amount} < minQty ${info.minQty}`);
    if (amount > info.maxQty + DUST) throw new SimRejection("max_quantity", `amount ${amount} > maxQty ${info.maxQty}`);
    const referencePrice = price ?? (req.side === "buy" ? market.ask : market.bid);
    if (info.minNotional > 0 && amount * referencePrice < info.minNotional - DUST) {
      throw new SimRejection(
        "min_notional",
        `notional ${clean(amount * referencePrice)} < minNotional ${info.minNotional}`,
      );
    }
    const marketable = req.side === "buy" ? market.ask <= referencePrice : market.bid >= referencePrice;
    if (req.postOnly && marketable) {
      throw new SimRejection("post_only_would_take", "order would immediately match and take");
    }

    // Funds: a buy needs (and a limit buy locks) quote, a sell needs (and a limit sell locks) base.
    const lockAsset = req.side === "buy" ? info.quote : info.base;
    const needed = req.side === "buy" ? amount * referencePrice : amount;
    const funds = account.balances.get(lockAsset) ?? { free: 0, locked: 0 };
    if (funds.free < needed - DUST) {
      throw new SimRejection(
        "insufficient_balance",
        `needs ${clean(needed)} ${lockAsset}, has ${clean(funds.free)} free`,
      );
    }

    const now = this.clock.now();
    const order: SimOrder = {
      orderId: String(this.nextOrderId++),
      clientOrderId,
      accountId,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      timeInForce,
      postOnly: req.postOnly ?? false,
      price,
      amount,
      quoteAmount: req.quoteAmount,
      filled: 0,
      cost: 0,
      average: 0,
      feeAsset: req.side === "buy" ? info.base : info.quote,
      feeTotal: 0,
      status: "new",
      createdAt: now,
      updatedAt: now,
      lockedRemaining: 0,
    };

    if (timeInForce === "FOK" && marketable) {
      const available = req.side === "buy" ? market.askLiquidity : market.bidLiquidity;
      if (available < amount - DUST) {
        order.status = "expired";
        this.orders.set(order.orderId, order);
        return { ...order };
      }
    }
    if (timeInForce === "FOK" && !marketable) {
      order.status = "expired";
      this.orders.set(order.orderId, order);
      return { ...order };
    }

    // Lock funds for the whole order (market orders lock their reference cost for the duration of the call).
    order.lockedRemaining = clean(needed);
    funds.free = clean(funds.free - needed);
    funds.locked = clean(funds.locked + needed);
    account.balances.set(lockAsset, funds);
    this.orders.set(order.orderId, order);

    if (marketable) this.fill(order, market, false);
    if (order.status === "new" || order.status === "partially_filled") {
      if (timeInForce === "GTC") {
        this.openOrderIds.push(order.orderId);
      } else {
        this.close(order, "expired");
      }
    }
    return { ...order };
  }

  cancelOrder(accountId: string, ref: OrderRef, symbol?: string): SimOrder {
    const order = this.findOrder(accountId, ref, symbol);
    if (order.status !== "new" && order.status !== "partially_filled") {
      throw new SimRejection("order_not_open", `order ${order.orderId} is ${order.status}`);
    }
    this.close(order, "canceled");
    return { ...order };
  }

  /** Finds an order by exchange id or client id (the newest with that client id). */
  getOrder(accountId: string, ref: OrderRef, symbol?: string): SimOrder {
    return { ...this.findOrder(accountId, ref, symbol) };
  }

  openOrders(accountId: string, symbol?: string): SimOrder[] {
    return this.openOrderIds
      .map((id) => this.orders.get(id)!)
      .filter((o) => o.accountId === accountId && (symbol === undefined || o.symbol === symbol))
      .map((o) => ({ ...o }));
  }

  /** Every order of the account, oldest first. */
  allOrders(accountId: string, symbol?: string): SimOrder[] {
    return [...this.orders.values()]
      .filter((o) => o.accountId === accountId && (symbol === undefined || o.symbol === symbol))
      .map((o) => ({ ...o }));
  }

  /** The account's fills, oldest first, filtered; `limit` keeps the oldest matches (Binance semantics). */
  myTrades(accountId: string, query: TradeQuery = {}): SimTrade[] {
    const matches = this.trades.filter((t) =>
      t.accountId === accountId &&
      (query.symbol === undefined || t.symbol === query.symbol) &&
      (query.orderId === undefined || t.orderId === query.orderId) &&
      (query.since === undefined || t.timestamp >= query.since) &&
      (query.until === undefined || t.timestamp <= query.until) &&
      (query.fromId === undefined || Number(t.tradeId) >= query.fromId)
    );
    const limited = query.limit === undefined ? matches : matches.slice(0, query.limit);
    return limited.map((t) => ({ ...t }));
  }

  // --- internals

  private publicAccount(state: AccountState): Account {
    return { id: state.id, apiKey: state.apiKey, secret: state.secret, passphrase: state.passphrase };
  }

  private account(accountId: string): AccountState {
    const account = this.accounts.get(accountId);
    if (!account) throw new SimRejection("invalid_parameter", `unknown account: ${accountId}`);
    return account;
  }

  private symbolMarket(symbol: string): SymbolMarket {
    const s = this.symbols.get(symbol);
    if (!s) throw new SimRejection("unknown_symbol", `unknown symbol: ${symbol}`);
    return s;
  }

  private checkClientOrderId(accountId: string, clientOrderId: string): void {
    const scopeOpen = this.config.clientOrderIdScope === "open";
    for (const order of this.orders.values()) {
      if (order.accountId !== accountId || order.clientOrderId !== clientOrderId) continue;
      const open = order.status === "new" || order.status === "partially_filled";
      if (!scopeOpen || open) {
        throw new SimRejection("duplicate_client_order_id", `client order id already used: ${clientOrderId}`);
      }
    }
  }

  private findOrder(accountId: string, ref: OrderRef, symbol?: string): SimOrder {
    let found: SimOrder | undefined;
    if (ref.orderId !== undefined) {
      found = this.orders.get(ref.orderId);
    } else if (ref.clientOrderId !== undefined) {
      for (const order of this.orders.values()) {
        if (order.accountId === accountId && order.clientOrderId === ref.clientOrderId) found = order;
      }
    } else {
      throw new SimRejection("invalid_parameter", "orderId or clientOrderId is required");
    }
    if (!found || found.accountId !== accountId || (symbol !== undefined && found.symbol !== symbol)) {
      throw new SimRejection("order_not_found", "order does not exist");
    }
    return found;
  }

  /** Matches this symbol's resting orders, oldest first, against the current quote and its liquidity. */
  private matchResting(symbol: string): void {
    const market = this.symbolMarket(symbol);
    for (const id of [...this.openOrderIds]) {
      const order = this.orders.get(id)!;
      if (order.symbol !== symbol || order.price === undefined) continue;
      const crosses = order.side === "buy" ? market.ask <= order.price : market.bid >= order.price;
      if (crosses) this.fill(order, market, true);
    }
  }

  /** Fills as much of `order` as the top of book allows, at the touch (taker) or the order's price (maker). */
  private fill(order: SimOrder, market: SymbolMarket, isMaker: boolean): void {
    const info = market.info;
    const account = this.account(order.accountId);
    const remaining = clean(order.amount - order.filled);
    const liquidity = order.side === "buy" ? market.askLiquidity : market.bidLiquidity;
    const qty = floorToStep(Math.min(remaining, liquidity), info.stepSize);
    if (qty <= 0) return;
    const touch = order.side === "buy" ? market.ask : market.bid;
    const fillPrice = isMaker && order.price !== undefined ? order.price : touch;
    const cost = clean(qty * fillPrice);
    const feeRate = isMaker ? this.fees.maker : this.fees.taker;
    const base = this.asset(account, info.base);
    const quote = this.asset(account, info.quote);
    let fee: number;
    if (order.side === "buy") {
      // Release the lock for this quantity at the price it was locked at, pay the actual cost, receive base - fee.
      const lockPrice = order.price ?? order.lockedRemaining / remaining;
      const release = clean(Math.min(order.lockedRemaining, qty * lockPrice));
      quote.locked = clean(quote.locked - release);
      quote.free = clean(quote.free + release - cost);
      order.lockedRemaining = clean(order.lockedRemaining - release);
      fee = clean(qty * feeRate);
      base.free = clean(base.free + qty - fee);
      market.askLiquidity = clean(market.askLiquidity - qty);
    } else {
      base.locked = clean(base.locked - qty);
      order.lockedRemaining = clean(order.lockedRemaining - qty);
      fee = clean(cost * feeRate);
      quote.free = clean(quote.free + cost - fee);
      market.bidLiquidity = clean(market.bidLiquidity - qty);
    }
    const now = this.clock.now();
    order.filled = clean(order.filled + qty);
    order.cost = clean(order.cost + cost);
    order.average = clean(order.cost / order.filled);
    order.feeTotal = clean(order.feeTotal + fee);
    order.updatedAt = now;
    this.trades.push({
      tradeId: String(this.nextTradeId++),
      orderId: order.orderId,
      clientOrderId: order.clientOrderId,
      accountId: order.accountId,
      symbol: order.symbol,
      side: order.side,
      price: fillPrice,
      amount: qty,
      cost,
      fee,
      feeAsset: order.feeAsset,
      isMaker,
      timestamp: now,
    });
    market.recordTrade(now, fillPrice, qty, cost);
    if (order.filled >= order.amount - DUST) {
      this.close(order, "filled");
    } else {
      order.status = "partially_filled";
    }
  }

  /** Ends an order: releases whatever it still locks and takes it off the open list. */
  private close(order: SimOrder, status: "filled" | "canceled" | "expired"): void {
    const info = this.symbolMarket(order.symbol).info;
    const account = this.account(order.accountId);
    const lockAsset = this.asset(account, order.side === "buy" ? info.quote : info.base);
    lockAsset.locked = clean(lockAsset.locked - order.lockedRemaining);
    lockAsset.free = clean(lockAsset.free + order.lockedRemaining);
    order.lockedRemaining = 0;
    order.status = status;
    order.updatedAt = this.clock.now();
    // A quote-sized market order reports what it actually traded.
    if (order.type === "market" && order.quoteAmount !== undefined) order.amount = order.filled || order.amount;
    const index = this.openOrderIds.indexOf(order.orderId);
    if (index >= 0) this.openOrderIds.splice(index, 1);
  }

  private asset(account: AccountState, asset: string): { free: number; locked: number } {
    let b = account.balances.get(asset);
    if (!b) {
      b = { free: 0, locked: 0 };
      account.balances.set(asset, b);
    }
    return b;
  }
}

/** The engines of both venues, sharing one clock. */
export function createEngines(
  config: SimConfig,
  options: { seed: number; clock?: Clock },
): Record<VenueId, VenueEngine> {
  return {
    binance: new VenueEngine("binance", config.binance, options),
    okx: new VenueEngine("okx", config.okx, options),
  };
}
