// A venue's orders and fills: placement checks (filters, funds, client ids), matching against a symbol's quote and
// its top-of-book liquidity, fees, and the funds each order locks and releases.

import type { AccountBook } from "./accounts.ts";
import type { Clock } from "./clock.ts";
import { clean, DUST, floorToStep, isMultipleOf, roundToStep } from "./numbers.ts";
import type { SymbolMarket } from "./prices.ts";
import { SimRejection } from "./rejection.ts";
import type { FeeSchedule, OrderRef, PlaceOrderRequest, SimOrder, SimTrade, TradeQuery, VenueConfig } from "./types.ts";

export interface OrderBookDeps {
  venue: string;
  clock: Clock;
  fees: FeeSchedule;
  accounts: AccountBook;
  /** the symbol's market, or a SimRejection("unknown_symbol") */
  market: (symbol: string) => SymbolMarket;
  clientOrderIdScope: VenueConfig["clientOrderIdScope"];
  orderIdStart: number;
  /** Binance's discount on fees paid in BNB (0.25 = 25 %) */
  bnbFeeDiscount: number;
  /** BNB per one unit of `asset` at current mids, or undefined when the simulator quotes no way to convert */
  bnbPerUnit: (asset: string) => number | undefined;
}

/** Binance prints commissions with 8 decimals. */
const roundFee = (value: number) => Math.round(value * 1e8) / 1e8;

/**
 * What happened to an order, as the venues' order streams report it: accepted (`new`), a fill (`trade`, with the
 * fill), or ended without filling all of it (`canceled`, `expired`). `order` is a copy taken at that moment.
 */
export interface OrderEvent {
  kind: "new" | "trade" | "canceled" | "expired";
  order: SimOrder;
  trade?: SimTrade;
}

/** What an order list (order_lists.ts) hears about its legs; the book never calls back into itself through these. */
export interface OrderHooks {
  /** a fill happened on `order` */
  onFill(order: SimOrder): void;
  /** a stop order's trigger price was crossed; called before it locks funds and works */
  onTrigger(order: SimOrder): void;
  /** the account cancelled `order` */
  onCancel(order: SimOrder): void;
}

export class OrderBook {
  private readonly orders = new Map<string, SimOrder>();
  /** stop orders waiting for their trigger, in arrival order */
  private readonly pendingIds: string[] = [];
  /** OTOCO pending legs held until their working order fills */
  private readonly heldIds: string[] = [];
  hooks?: OrderHooks;
  /** Told of every order event, synchronously, in the order they happen (the simulator's order streams listen). */
  readonly observers = new Set<(event: OrderEvent) => void>();
  /** order ids in arrival order: time priority for matching */
  private readonly openOrderIds: string[] = [];
  private readonly trades: SimTrade[] = [];
  private nextOrderId: number;
  private nextTradeId = 1;
  private nextClientId = 1;

  constructor(private readonly deps: OrderBookDeps) {
    this.nextOrderId = deps.orderIdStart;
  }

  /**
   * Places an order (a stop order waits, see `stopPrice`); `listId` marks it as a leg of an order list; `held` keeps
   * it off the book (locking nothing) until `release`.
   */
  placeOrder(accountId: string, req: PlaceOrderRequest, listId?: string, held = false): SimOrder {
    const { accounts } = this.deps;
    accounts.assertExists(accountId);
    const market = this.deps.market(req.symbol);
    const info = market.info;
    const clientOrderId = req.clientOrderId ?? `sim-${this.deps.venue}-${this.nextClientId++}`;
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
    const marketable = req.stopPrice === undefined && !held &&
      (req.side === "buy" ? market.ask <= referencePrice : market.bid >= referencePrice);
    if (req.postOnly && marketable) {
      throw new SimRejection("post_only_would_take", "order would immediately match and take");
    }

    const now = this.deps.clock.now();
    if (req.stopPrice !== undefined || held) {
      return this.placePending(accountId, req, clientOrderId, price, amount, now, listId, held);
    }

    // Funds: a buy needs (and a limit buy locks) quote, a sell needs (and a limit sell locks) base.
    const lockAsset = req.side === "buy" ? info.quote : info.base;
    const needed = req.side === "buy" ? amount * referencePrice : amount;
    const available = accounts.balance(accountId, lockAsset).free;
    if (available < needed - DUST) {
      throw new SimRejection(
        "insufficient_balance",
        `needs ${clean(needed)} ${lockAsset}, has ${clean(available)} free`,
      );
    }

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
      orderListId: listId,
    };

    if (timeInForce === "FOK" && marketable) {
      const liquidity = req.side === "buy" ? market.askLiquidity : market.bidLiquidity;
      if (liquidity < amount - DUST) {
        this.emit("new", order);
        order.status = "expired";
        this.orders.set(order.orderId, order);
        this.emit("expired", order);
        return { ...order };
      }
    }
    if (timeInForce === "FOK" && !marketable) {
      this.emit("new", order);
      order.status = "expired";
      this.orders.set(order.orderId, order);
      this.emit("expired", order);
      return { ...order };
    }

    // Lock funds for the whole order (market orders lock their reference cost for the duration of the call).
    const funds = accounts.funds(accountId, lockAsset);
    order.lockedRemaining = clean(needed);
    funds.free = clean(funds.free - needed);
    funds.locked = clean(funds.locked + needed);
    this.orders.set(order.orderId, order);
    this.emit("new", order);

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

  /** Cancels an open order; `quiet` (an order list cancelling its own legs) skips the hooks. */
  cancelOrder(accountId: string, ref: OrderRef, symbol?: string, quiet = false): SimOrder {
    const order = this.findOrder(accountId, ref, symbol);
    if (order.status !== "new" && order.status !== "partially_filled") {
      throw new SimRejection("order_not_open", `order ${order.orderId} is ${order.status}`);
    }
    this.close(order, "canceled");
    if (!quiet) this.hooks?.onCancel(order);
    return { ...order };
  }

  /** Finds an order by exchange id or client id (the newest with that client id). */
  getOrder(accountId: string, ref: OrderRef, symbol?: string): SimOrder {
    return { ...this.findOrder(accountId, ref, symbol) };
  }

  /** Working and waiting (stop) orders, by order id. */
  openOrders(accountId: string, symbol?: string): SimOrder[] {
    return [...this.openOrderIds, ...this.pendingIds, ...this.heldIds]
      .sort((a, b) => Number(a) - Number(b))
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

  /** Matches this symbol's resting orders, oldest first, against the current quote and its liquidity. */
  matchResting(symbol: string): void {
    const market = this.deps.market(symbol);
    for (const id of [...this.pendingIds]) {
      const order = this.orders.get(id)!;
      if (order.symbol !== symbol || order.status !== "new") continue;
      // A sell stop triggers when the bid falls to its price, a buy stop when the ask rises to it.
      const hit = order.side === "sell" ? market.bid <= order.stopPrice! : market.ask >= order.stopPrice!;
      if (hit) this.trigger(order, market);
    }
    for (const id of [...this.openOrderIds]) {
      const order = this.orders.get(id)!;
      if (order.symbol !== symbol || order.price === undefined) continue;
      const crosses = order.side === "buy" ? market.ask <= order.price : market.bid >= order.price;
      if (crosses) this.fill(order, market, true);
    }
  }

  private placePending(
    accountId: string,
    req: PlaceOrderRequest,
    clientOrderId: string,
    price: number | undefined,
    amount: number,
    now: number,
    listId: string | undefined,
    held: boolean,
  ): SimOrder {
    const info = this.deps.market(req.symbol).info;
    if (req.stopPrice !== undefined && (!(req.stopPrice > 0) || !isMultipleOf(req.stopPrice, info.tickSize))) {
      throw new SimRejection(
        "invalid_price",
        `stopPrice ${req.stopPrice} is not a positive multiple of ${info.tickSize}`,
      );
    }
    const order: SimOrder = {
      orderId: String(this.nextOrderId++),
      clientOrderId,
      accountId,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      timeInForce: req.timeInForce ?? (req.type === "market" ? "IOC" : "GTC"),
      postOnly: req.postOnly ?? false,
      price,
      amount,
      filled: 0,
      cost: 0,
      average: 0,
      feeAsset: req.side === "buy" ? info.base : info.quote,
      feeTotal: 0,
      status: "new",
      createdAt: now,
      updatedAt: now,
      lockedRemaining: 0,
      stopPrice: req.stopPrice === undefined ? undefined : roundToStep(req.stopPrice, info.tickSize),
      triggered: req.stopPrice === undefined ? undefined : false,
      orderListId: listId,
      held: held || undefined,
    };
    this.orders.set(order.orderId, order);
    (held ? this.heldIds : this.pendingIds).push(order.orderId);
    this.emit("new", order);
    return { ...order };
  }

  /** A held leg goes to work: a stop starts waiting for its trigger, a limit locks its funds and rests (or fills). */
  release(orderId: string): void {
    const order = this.orders.get(orderId);
    const index = this.heldIds.indexOf(orderId);
    if (!order || index < 0) return;
    this.heldIds.splice(index, 1);
    order.held = undefined;
    order.updatedAt = this.deps.clock.now();
    if (order.stopPrice !== undefined) {
      this.pendingIds.push(orderId);
      return;
    }
    this.activate(order, this.deps.market(order.symbol));
  }

  /** A stop order's price was crossed: it locks its funds now and works like a plain order (expires if it cannot). */
  private trigger(order: SimOrder, market: SymbolMarket): void {
    this.pendingIds.splice(this.pendingIds.indexOf(order.orderId), 1);
    this.hooks?.onTrigger(order);
    order.triggered = true;
    order.updatedAt = this.deps.clock.now();
    this.activate(order, market);
  }

  /** Locks an order's funds and puts it to work now (expired when the funds are not there). */
  private activate(order: SimOrder, market: SymbolMarket): void {
    const info = market.info;
    const reference = order.price ?? (order.side === "buy" ? market.ask : market.bid);
    const lockAsset = order.side === "buy" ? info.quote : info.base;
    const needed = order.side === "buy" ? order.amount * reference : order.amount;
    const funds = this.deps.accounts.funds(order.accountId, lockAsset);
    if (funds.free < needed - DUST) {
      order.status = "expired";
      this.emit("expired", order);
      return;
    }
    order.lockedRemaining = clean(needed);
    funds.free = clean(funds.free - needed);
    funds.locked = clean(funds.locked + needed);
    const marketable = order.side === "buy" ? market.ask <= reference : market.bid >= reference;
    if (marketable) this.fill(order, market, false);
    if (order.status === "new" || order.status === "partially_filled") {
      if (order.type === "limit" && order.timeInForce === "GTC") this.openOrderIds.push(order.orderId);
      else this.close(order, "expired");
    }
  }

  private checkClientOrderId(accountId: string, clientOrderId: string): void {
    const scopeOpen = this.deps.clientOrderIdScope === "open";
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

  /** Fills as much of `order` as the top of book allows, at the touch (taker) or the order's price (maker). */
  private fill(order: SimOrder, market: SymbolMarket, isMaker: boolean): void {
    const info = market.info;
    const remaining = clean(order.amount - order.filled);
    const liquidity = order.side === "buy" ? market.askLiquidity : market.bidLiquidity;
    const qty = floorToStep(Math.min(remaining, liquidity), info.stepSize);
    if (qty <= 0) return;
    const touch = order.side === "buy" ? market.ask : market.bid;
    const fillPrice = isMaker && order.price !== undefined ? order.price : touch;
    const cost = clean(qty * fillPrice);
    const feeRate = isMaker ? this.deps.fees.maker : this.deps.fees.taker;
    const base = this.deps.accounts.funds(order.accountId, info.base);
    const quote = this.deps.accounts.funds(order.accountId, info.quote);
    const bnbFee = this.bnbFee(order.accountId, info.quote, cost, feeRate);
    let fee: number;
    if (order.side === "buy") {
      // Release the lock for this quantity at the price it was locked at, pay the actual cost, receive base - fee.
      const lockPrice = order.price ?? order.lockedRemaining / remaining;
      const release = clean(Math.min(order.lockedRemaining, qty * lockPrice));
      quote.locked = clean(quote.locked - release);
      quote.free = clean(quote.free + release - cost);
      order.lockedRemaining = clean(order.lockedRemaining - release);
      fee = bnbFee ?? clean(qty * feeRate);
      base.free = clean(base.free + qty - (bnbFee === undefined ? fee : 0));
      market.askLiquidity = clean(market.askLiquidity - qty);
    } else {
      base.locked = clean(base.locked - qty);
      order.lockedRemaining = clean(order.lockedRemaining - qty);
      fee = bnbFee ?? clean(cost * feeRate);
      quote.free = clean(quote.free + cost - (bnbFee === undefined ? fee : 0));
      market.bidLiquidity = clean(market.bidLiquidity - qty);
    }
    const now = this.deps.clock.now();
    order.filled = clean(order.filled + qty);
    order.cost = clean(order.cost + cost);
    order.average = clean(order.cost / order.filled);
    const feeAsset = bnbFee === undefined ? (order.side === "buy" ? info.base : info.quote) : "BNB";
    if (order.feeTotal === 0) order.feeAsset = feeAsset;
    // Mixed fee assets (BNB ran out mid-order) keep the total in the first asset; each fill names its own asset.
    if (feeAsset === order.feeAsset) order.feeTotal = clean(order.feeTotal + fee);
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
      feeAsset,
      isMaker,
      timestamp: now,
    });
    market.recordTrade(now, fillPrice, qty, cost);
    if (order.filled >= order.amount - DUST) {
      this.close(order, "filled");
    } else {
      order.status = "partially_filled";
    }
    this.emit("trade", order, this.trades[this.trades.length - 1]);
    this.hooks?.onFill(order);
  }

  /**
   * Binance with "use BNB to pay fees" on: the fee for a fill of `cost` (in `quoteAsset`) charged in BNB, converted at
   * the mids, less the BNB discount, taken from free BNB now. Undefined (the fee is charged in the asset received, as
   * Binance does) when the account has the switch off, too little free BNB, or no conversion is quoted.
   */
  private bnbFee(accountId: string, quoteAsset: string, cost: number, feeRate: number): number | undefined {
    if (this.deps.venue !== "binance" || !this.deps.accounts.bnbFees(accountId)) return undefined;
    const perUnit = this.deps.bnbPerUnit(quoteAsset);
    if (perUnit === undefined) return undefined;
    const fee = roundFee(cost * feeRate * (1 - this.deps.bnbFeeDiscount) * perUnit);
    const bnb = this.deps.accounts.funds(accountId, "BNB");
    if (bnb.free < fee - DUST) return undefined;
    bnb.free = clean(bnb.free - fee);
    return fee;
  }

  /** Ends an order: releases whatever it still locks and takes it off the open list. */
  private close(order: SimOrder, status: "filled" | "canceled" | "expired"): void {
    const info = this.deps.market(order.symbol).info;
    const lockAsset = this.deps.accounts.funds(order.accountId, order.side === "buy" ? info.quote : info.base);
    lockAsset.locked = clean(lockAsset.locked - order.lockedRemaining);
    lockAsset.free = clean(lockAsset.free + order.lockedRemaining);
    order.lockedRemaining = 0;
    order.status = status;
    order.updatedAt = this.deps.clock.now();
    // A quote-sized market order reports what it actually traded.
    if (order.type === "market" && order.quoteAmount !== undefined) order.amount = order.filled || order.amount;
    const index = this.openOrderIds.indexOf(order.orderId);
    if (index >= 0) this.openOrderIds.splice(index, 1);
    const waiting = this.pendingIds.indexOf(order.orderId);
    if (waiting >= 0) this.pendingIds.splice(waiting, 1);
    const heldAt = this.heldIds.indexOf(order.orderId);
    if (heldAt >= 0) this.heldIds.splice(heldAt, 1);
    order.held = undefined;
    // A fill that completes the order is reported by its trade event.
    if (status !== "filled") this.emit(status, order);
  }

  private emit(kind: OrderEvent["kind"], order: SimOrder, trade?: SimTrade): void {
    if (this.observers.size === 0) return;
    const event: OrderEvent = { kind, order: { ...order }, trade: trade ? { ...trade } : undefined };
    for (const observer of this.observers) observer(event);
  }
}
