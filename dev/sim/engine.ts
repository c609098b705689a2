// The simulator's market engine: one VenueEngine per venue, the one object venue handlers and tests talk to. It
// composes the parts: prices per symbol (prices.ts), accounts and balances (accounts.ts), orders and matching
// (orders.ts), and runs the price steps the clock makes due. It is pure and deterministic: no I/O, time comes from an
// injected Clock, randomness from a seeded PRNG. Its method signatures are stable; additions only.

import { AccountBook } from "./accounts.ts";
import { AlgoBook, type AlgoSpec, type SimAlgo } from "./algo_orders.ts";
import { generateCatalog } from "./catalog.ts";
import { type Clock, OffsetClock, realClock } from "./clock.ts";
import { clean } from "./numbers.ts";
import { type OcoRequest, OrderLists, type OtocoRequest, type SimOrderList } from "./order_lists.ts";
import { OrderBook, type OrderEvent } from "./orders.ts";
import { type PathAdvance, SymbolMarket } from "./prices.ts";
import { deriveSeed, mulberry32 } from "./prng.ts";
import { SimRejection } from "./rejection.ts";
import type {
  Account,
  AccountConfig,
  BalanceEntry,
  BookLevel,
  FeeSchedule,
  MarketInfo,
  OrderBookSnapshot,
  OrderRef,
  PlaceOrderRequest,
  PricePoint,
  Quote,
  ScriptedQuote,
  SimConfig,
  SimOrder,
  SimTicker,
  SimTrade,
  TradeQuery,
  VenueConfig,
  VenueId,
} from "./types.ts";

/** A venue's whole market: prices per symbol, accounts, orders, trades. Handlers call only these methods. */
export class VenueEngine {
  readonly venue: VenueId;
  readonly fees: FeeSchedule;
  /** the venue's clock: the injected clock plus the venue's offset (see setClockOffset) */
  readonly clock: Clock;
  private readonly venueClock: OffsetClock;
  private readonly config: VenueConfig;
  /** markets that take price steps: the configured ones, and listed ones once traded or scripted */
  private readonly symbols = new Map<string, SymbolMarket>();
  /** the generated listing (marketList "full"): quoted at their seeded start price until activated */
  private readonly listed = new Map<string, MarketInfo>();
  private readonly idle = new Map<string, SymbolMarket>();
  private readonly allInfos: MarketInfo[];
  private readonly seed: number;
  private readonly accounts: AccountBook;
  private readonly orders: OrderBook;
  private readonly lists: OrderLists;
  private readonly algos: AlgoBook;
  private lastStepAt: number;

  constructor(venue: VenueId, config: VenueConfig, options: { seed: number; clock?: Clock }) {
    this.venue = venue;
    this.config = config;
    this.fees = { ...config.fees };
    this.venueClock = new OffsetClock(options.clock ?? realClock, config.clockOffsetMs ?? 0);
    this.clock = this.venueClock;
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
    this.seed = options.seed;
    if ((config.marketList ?? "full") === "full") {
      for (const m of generateCatalog(venue, options.seed)) {
        if (this.symbols.has(m.symbol)) continue;
        const [base, quote] = m.symbol.split("/");
        this.listed.set(m.symbol, { ...m, base, quote });
      }
    }
    this.allInfos = [...[...this.symbols.values()].map((s) => s.info), ...this.listed.values()];
    this.accounts = new AccountBook(venue);
    this.orders = new OrderBook({
      venue,
      clock: this.clock,
      fees: this.fees,
      accounts: this.accounts,
      market: (symbol) => this.symbolMarket(symbol),
      clientOrderIdScope: config.clientOrderIdScope,
      orderIdStart: config.orderIdStart,
      bnbFeeDiscount: config.bnbFeeDiscount ?? 0.25,
      bnbPerUnit: (asset) => this.bnbPerUnit(asset),
    });
    this.lists = new OrderLists(this.orders, () => this.clock.now());
    this.algos = new AlgoBook({
      now: () => this.clock.now(),
      placeOrder: (accountId, req) => this.placeOrder(accountId, req),
      getOrder: (accountId, orderId) => this.orders.getOrder(accountId, { orderId }),
    }, config.orderIdStart + 100_000_000_000);
    config.accounts.forEach((account, index) => this.addAccount(account, `${venue}-account-${index + 1}`));
  }

  // --- accounts and balances

  addAccount(config: AccountConfig, id?: string): Account {
    return this.accounts.add(config, id);
  }

  accountByApiKey(apiKey: string): Account | undefined {
    return this.accounts.byApiKey(apiKey);
  }

  listAccounts(): Account[] {
    return this.accounts.list();
  }

  /** All assets the account has ever held, zero balances included, sorted by asset. */
  balances(accountId: string): BalanceEntry[] {
    return this.accounts.balances(accountId);
  }

  balance(accountId: string, asset: string): BalanceEntry {
    return this.accounts.balance(accountId, asset);
  }

  /** Sets the free amount (and optionally the locked amount) of an asset directly: a test and admin tool. */
  setBalance(accountId: string, asset: string, free: number, locked?: number): void {
    this.accounts.setBalance(accountId, asset, free, locked);
  }

  /** Binance's "use BNB to pay fees" switch for one account. */
  setBnbFees(accountId: string, enabled: boolean): void {
    this.accounts.setBnbFees(accountId, enabled);
  }

  bnbFees(accountId: string): boolean {
    return this.accounts.bnbFees(accountId);
  }

  /** BNB per unit of `asset` at the current mids (via BNB/asset, or asset/USDT and BNB/USDT). */
  bnbPerUnit(asset: string): number | undefined {
    if (asset === "BNB") return 1;
    const mid = (symbol: string) => {
      const s = this.symbols.get(symbol);
      return s ? (s.bid + s.ask) / 2 : undefined;
    };
    const direct = mid(`BNB/${asset}`);
    if (direct !== undefined) return 1 / direct;
    const assetUsdt = asset === "USDT" ? 1 : mid(`${asset}/USDT`);
    const bnbUsdt = mid("BNB/USDT");
    if (assetUsdt === undefined || bnbUsdt === undefined) return undefined;
    return assetUsdt / bnbUsdt;
  }

  /** The venue's server time minus the injected clock's, in ms. */
  clockOffsetMs(): number {
    return this.venueClock.offsetMs;
  }

  /**
   * Shifts the venue's clock. Steps already due run first and the step schedule moves with the clock, so a shift
   * neither runs nor skips price steps.
   */
  setClockOffset(offsetMs: number): void {
    this.sync();
    this.lastStepAt += offsetMs - this.venueClock.offsetMs;
    this.venueClock.offsetMs = offsetMs;
  }

  // --- markets and prices

  /** Every listed market: the configured ones first, then the generated listing. Do not mutate. */
  markets(): readonly MarketInfo[] {
    return this.allInfos;
  }

  market(symbol: string): MarketInfo | undefined {
    const info = this.symbols.get(symbol)?.info ?? this.listed.get(symbol);
    return info ? { ...info } : undefined;
  }

  quote(symbol: string): Quote {
    const s = this.symbolMarket(symbol);
    return { bid: s.bid, ask: s.ask, bidQty: clean(s.bidLiquidity), askQty: clean(s.askLiquidity) };
  }

  ticker(symbol: string): SimTicker {
    return this.symbolMarket(symbol).ticker(this.clock.now());
  }

  tickers(symbols?: string[]): SimTicker[] {
    const list = symbols ?? this.allInfos.map((m) => m.symbol);
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

  /**
   * Scripted quotes for `symbol`, one per price step; the last one holds once the path runs out. The path starts
   * now: the steps the clock made due before this call run first, so an idle gap cannot swallow the path. With
   * `advance: "read"` the path moves one point per market-data request for the symbol (see `marketDataRead`) and
   * per `step()`, never with the clock.
   */
  setPath(symbol: string, points: PricePoint[], advance: PathAdvance = "clock"): void {
    const s = this.liveMarket(symbol);
    this.sync();
    s.setPath(points, advance);
  }

  /** Back to the random walk from the current price (after the steps already due). */
  clearPath(symbol: string): void {
    const s = this.liveMarket(symbol);
    this.sync();
    s.clearPath();
  }

  /**
   * Sets the quote now (fresh top-of-book liquidity: the quote's own quantities, else the market's) and matches
   * resting orders against it. Steps already due run first, so they cannot overwrite the quote on the next request.
   */
  setQuote(symbol: string, point: ScriptedQuote): void {
    const s = this.liveMarket(symbol);
    this.sync();
    s.apply(point);
    s.bidLiquidity = point.bidQty ?? s.info.topOfBookQty;
    s.askLiquidity = point.askQty ?? s.info.topOfBookQty;
    s.sequence++;
    this.afterQuote(symbol);
  }

  /** Advances every symbol `count` price steps and matches resting orders after each. */
  step(count = 1): void {
    this.stepSymbols(count, () => true);
  }

  /**
   * A venue handler is about to answer a market-data request (ticker, book ticker, order book) for `symbols`: each
   * of them that follows a path with `advance: "read"` takes one price step first.
   */
  marketDataRead(symbols: readonly string[]): void {
    const now = this.clock.now();
    for (const symbol of new Set(symbols)) {
      const s = this.symbols.get(symbol);
      if (s?.pathAdvance !== "read") continue;
      s.step(now);
      this.afterQuote(symbol);
    }
  }

  /**
   * Runs the price steps that are due by the clock (bounded to 10 000 per call). Returns how many ran. Symbols on a
   * path that advances by read hold still.
   */
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
    this.stepSymbols(count, (s) => s.pathAdvance !== "read");
    return count;
  }

  // --- orders

  placeOrder(accountId: string, req: PlaceOrderRequest): SimOrder {
    const info = this.market(req.symbol);
    if (info?.status === "BREAK") throw new SimRejection("market_closed", `${req.symbol} is not trading`);
    if (info) this.liveMarket(req.symbol);
    const order = this.orders.placeOrder(accountId, req);
    this.algos.sweepEntries();
    return order;
  }

  cancelOrder(accountId: string, ref: OrderRef, symbol?: string): SimOrder {
    const order = this.orders.cancelOrder(accountId, ref, symbol);
    this.algos.sweepEntries();
    return order;
  }

  // --- algo orders (OKX trigger / OCO, attached TP/SL)

  /** A live algo; with `entryOrderId` it waits for that order to finish, then covers what it filled. */
  placeAlgo(accountId: string, spec: AlgoSpec, entryOrderId?: string): SimAlgo {
    const info = this.market(spec.symbol);
    if (!info) throw new SimRejection("unknown_symbol", `unknown symbol: ${spec.symbol}`);
    this.liveMarket(spec.symbol);
    const algo = this.algos.add(accountId, spec, entryOrderId);
    this.algos.sweepEntries();
    return this.algos.get(accountId, { algoId: algo.algoId });
  }

  algo(accountId: string, ref: { algoId?: string; clientAlgoId?: string }): SimAlgo {
    return this.algos.get(accountId, ref);
  }

  algoOrders(accountId: string): SimAlgo[] {
    return this.algos.list(accountId);
  }

  cancelAlgo(accountId: string, algoId: string): SimAlgo {
    return this.algos.cancel(accountId, algoId);
  }

  // --- order lists (OCO)

  /** Places an OCO; its prices are judged against the symbol's last price (last trade, else the mid). */
  placeOco(accountId: string, req: OcoRequest): SimOrderList {
    const info = this.market(req.symbol);
    if (info?.status === "BREAK") throw new SimRejection("market_closed", `${req.symbol} is not trading`);
    const s = this.liveMarket(req.symbol);
    return this.lists.placeOco(accountId, req, s.ticker(this.clock.now()).last);
  }

  /** Places an OTOCO: the working order now, its OCO once the working order has filled. */
  placeOtoco(accountId: string, req: OtocoRequest): SimOrderList {
    const info = this.market(req.symbol);
    if (info?.status === "BREAK") throw new SimRejection("market_closed", `${req.symbol} is not trading`);
    this.liveMarket(req.symbol);
    return this.lists.placeOtoco(accountId, req);
  }

  orderList(accountId: string, ref: { orderListId?: string; listClientOrderId?: string }): SimOrderList {
    return this.lists.getList(accountId, ref);
  }

  openOrderLists(accountId: string): SimOrderList[] {
    return this.lists.openLists(accountId);
  }

  cancelOrderList(
    accountId: string,
    ref: { orderListId?: string; listClientOrderId?: string },
    symbol: string,
  ): SimOrderList {
    return this.lists.cancelList(accountId, ref, symbol);
  }

  /** The legs of a list, as they are now. */
  orderListLegs(list: SimOrderList): SimOrder[] {
    return this.lists.legs(list);
  }

  /** Finds an order by exchange id or client id (the newest with that client id). */
  getOrder(accountId: string, ref: OrderRef, symbol?: string): SimOrder {
    return this.orders.getOrder(accountId, ref, symbol);
  }

  openOrders(accountId: string, symbol?: string): SimOrder[] {
    return this.orders.openOrders(accountId, symbol);
  }

  /** Calls `listener` with every order event of the venue (every account) until the returned function is called. */
  onOrderEvent(listener: (event: OrderEvent) => void): () => void {
    this.orders.observers.add(listener);
    return () => this.orders.observers.delete(listener);
  }

  /** Calls `listener` with every algo placed or changed (every account) until the returned function is called. */
  onAlgoEvent(listener: (algo: SimAlgo) => void): () => void {
    this.algos.observers.add(listener);
    return () => this.algos.observers.delete(listener);
  }

  /** Every order of the account, oldest first. */
  allOrders(accountId: string, symbol?: string): SimOrder[] {
    return this.orders.allOrders(accountId, symbol);
  }

  /** The account's fills, oldest first, filtered; `limit` keeps the oldest matches (Binance semantics). */
  myTrades(accountId: string, query: TradeQuery = {}): SimTrade[] {
    return this.orders.myTrades(accountId, query);
  }

  // --- internals

  /** A symbol's quote changed: resting orders match, then algo orders look at their triggers. */
  private afterQuote(symbol: string): void {
    this.orders.matchResting(symbol);
    this.algos.sweepEntries();
    this.algos.onQuote(symbol, this.quote(symbol));
  }

  private stepSymbols(count: number, include: (s: SymbolMarket) => boolean): void {
    const now = this.clock.now();
    for (let i = 0; i < count; i++) {
      for (const [symbol, s] of this.symbols) {
        if (!include(s)) continue;
        s.step(now);
        this.afterQuote(symbol);
      }
    }
  }

  /** A market to read: a live one, or a listed one quoted at its seeded start price (not stepped). */
  private symbolMarket(symbol: string): SymbolMarket {
    const s = this.symbols.get(symbol) ?? this.idleMarket(symbol);
    if (!s) throw new SimRejection("unknown_symbol", `unknown symbol: ${symbol}`);
    return s;
  }

  /** A market that takes price steps from now on: a listed one is activated (its walk starts here). */
  private liveMarket(symbol: string): SymbolMarket {
    const live = this.symbols.get(symbol);
    if (live) return live;
    const s = this.symbolMarket(symbol);
    this.idle.delete(symbol);
    this.symbols.set(symbol, s);
    return s;
  }

  private idleMarket(symbol: string): SymbolMarket | undefined {
    let s = this.idle.get(symbol);
    if (!s) {
      const info = this.listed.get(symbol);
      if (!info) return undefined;
      const random = mulberry32(deriveSeed(this.seed, `${this.venue}:${symbol}`));
      s = new SymbolMarket(info, random, this.clock.now());
      this.idle.set(symbol, s);
    }
    return s;
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
