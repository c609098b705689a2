// Order lists (Binance spot OCO and OTOCO): two legs on one symbol and side, one limit-maker leg resting at its price and one
// stop leg waiting for its trigger. Whatever happens first to one leg (a fill, even partial; the stop's trigger; the
// account cancelling it) cancels the other, and the list is ALL_DONE once no leg is working.

import type { OrderBook, OrderHooks } from "./orders.ts";
import { SimRejection } from "./rejection.ts";
import type { OrderSide, PlaceOrderRequest, SimOrder } from "./types.ts";

/** One leg as the client describes it. */
export interface OcoLeg {
  type: "limit_maker" | "stop_loss" | "stop_loss_limit";
  /** limit price (limit_maker, stop_loss_limit) */
  price?: number;
  /** trigger (stop_loss, stop_loss_limit) */
  stopPrice?: number;
  timeInForce?: "GTC" | "IOC" | "FOK";
  clientOrderId?: string;
}

export interface OcoRequest {
  symbol: string;
  side: OrderSide;
  amount: number;
  listClientOrderId?: string;
  above: OcoLeg;
  below: OcoLeg;
}

/** OTOCO: a working order, and an OCO held until the working order has filled completely. */
export interface OtocoRequest {
  symbol: string;
  listClientOrderId?: string;
  working: {
    side: OrderSide;
    type: "limit" | "limit_maker";
    price: number;
    amount: number;
    timeInForce?: "GTC";
    clientOrderId?: string;
  };
  pending: Omit<OcoRequest, "symbol" | "listClientOrderId">;
}

export interface SimOrderList {
  orderListId: string;
  listClientOrderId: string;
  accountId: string;
  symbol: string;
  /** Binance: "OCO" for an OCO, "OTO" for an OTOCO */
  contingencyType: "OCO" | "OTO";
  /** OTOCO: the working order */
  workingId?: string;
  /** the two OCO legs (below, above) */
  ocoIds: string[];
  /** EXEC_STARTED while a leg works, ALL_DONE after */
  listStatusType: "EXEC_STARTED" | "ALL_DONE";
  listOrderStatus: "EXECUTING" | "ALL_DONE";
  /** every order of the list: (working,) below, above (Binance's order) */
  orderIds: string[];
  transactionTime: number;
}

const isOpen = (o: SimOrder) => o.status === "new" || o.status === "partially_filled";

export class OrderLists implements OrderHooks {
  private readonly lists = new Map<string, SimOrderList>();
  private nextListId = 1;
  private nextClientId = 1;

  constructor(private readonly book: OrderBook, private readonly now: () => number) {
    book.hooks = this;
  }

  /**
   * Places an OCO. Price rules as Binance's: a SELL has the limit maker above and the stop below the last price, a
   * BUY the stop above and the limit maker below (else "price_relation"). Filters are checked on both legs before
   * either is placed.
   */
  placeOco(accountId: string, req: OcoRequest, last: number): SimOrderList {
    const orderListId = String(this.nextListId++);
    const [below, above] = this.placeLegs(accountId, req, last, orderListId, false);
    return this.remember({
      orderListId,
      listClientOrderId: req.listClientOrderId ?? `sim-list-${this.nextClientId++}`,
      accountId,
      symbol: req.symbol,
      contingencyType: "OCO",
      ocoIds: [below.orderId, above.orderId],
      orderIds: [below.orderId, above.orderId],
    });
  }

  /**
   * Places an OTOCO: the working order now, the OCO legs held (PENDING_NEW, locking nothing) until the working order
   * has filled completely; their prices are judged against the working price. Cancelling any order of the list, or
   * the working order ending unfilled, cancels the whole list.
   */
  placeOtoco(accountId: string, req: OtocoRequest): SimOrderList {
    const orderListId = String(this.nextListId++);
    const w = req.working;
    const working = this.book.placeOrder(accountId, {
      symbol: req.symbol,
      side: w.side,
      type: "limit",
      amount: w.amount,
      price: w.price,
      timeInForce: "GTC",
      postOnly: w.type === "limit_maker",
      clientOrderId: w.clientOrderId,
    }, orderListId);
    let legs: SimOrder[];
    try {
      legs = this.placeLegs(accountId, { ...req.pending, symbol: req.symbol }, w.price, orderListId, true);
    } catch (error) {
      this.book.cancelOrder(accountId, { orderId: working.orderId }, req.symbol, true);
      throw error;
    }
    const list = this.remember({
      orderListId,
      listClientOrderId: req.listClientOrderId ?? `sim-list-${this.nextClientId++}`,
      accountId,
      symbol: req.symbol,
      contingencyType: "OTO",
      workingId: working.orderId,
      ocoIds: legs.map((l) => l.orderId),
      orderIds: [working.orderId, ...legs.map((l) => l.orderId)],
    });
    // A working order that filled at once releases the legs now (the fill hook ran before the list existed).
    if (this.book.getOrder(accountId, { orderId: working.orderId }).status === "filled") this.release(list);
    return this.getList(accountId, { orderListId });
  }

  /** Checks and places an OCO's two legs (below, above); `held` keeps them off the book. */
  private placeLegs(
    accountId: string,
    req: OcoRequest,
    reference: number,
    orderListId: string,
    held: boolean,
  ): [SimOrder, SimOrder] {
    const limitLeg = req.side === "sell" ? req.above : req.below;
    const stopLeg = req.side === "sell" ? req.below : req.above;
    if (limitLeg.type !== "limit_maker" || stopLeg.type === "limit_maker") {
      throw new SimRejection(
        "invalid_parameter",
        req.side === "sell"
          ? "a SELL OCO takes a LIMIT_MAKER above and a STOP_LOSS or STOP_LOSS_LIMIT below"
          : "a BUY OCO takes a STOP_LOSS or STOP_LOSS_LIMIT above and a LIMIT_MAKER below",
      );
    }
    const limitPrice = limitLeg.price;
    const stopPrice = stopLeg.stopPrice;
    if (limitPrice === undefined) throw new SimRejection("invalid_parameter", "the limit maker leg needs a price");
    if (stopPrice === undefined) throw new SimRejection("invalid_parameter", "the stop leg needs a stopPrice");
    if (stopLeg.type === "stop_loss_limit" && stopLeg.price === undefined) {
      throw new SimRejection("invalid_parameter", "a STOP_LOSS_LIMIT leg needs a price");
    }
    const related = req.side === "sell"
      ? limitPrice > reference && stopPrice < reference
      : limitPrice < reference && stopPrice > reference;
    if (!related) {
      throw new SimRejection("price_relation", "The relationship of the prices for the orders is not correct.");
    }
    const stopRequest: PlaceOrderRequest = {
      symbol: req.symbol,
      side: req.side,
      type: stopLeg.type === "stop_loss" ? "market" : "limit",
      amount: req.amount,
      price: stopLeg.type === "stop_loss" ? undefined : stopLeg.price,
      stopPrice,
      timeInForce: stopLeg.type === "stop_loss" ? undefined : stopLeg.timeInForce ?? "GTC",
      clientOrderId: stopLeg.clientOrderId,
    };
    const limitRequest: PlaceOrderRequest = {
      symbol: req.symbol,
      side: req.side,
      type: "limit",
      amount: req.amount,
      price: limitPrice,
      postOnly: true,
      clientOrderId: limitLeg.clientOrderId,
    };
    // The limit leg locks the funds (and checks them); the stop leg waits and locks nothing until it triggers.
    const limitOrder = this.book.placeOrder(accountId, limitRequest, orderListId, held);
    let stopOrder: SimOrder;
    try {
      stopOrder = this.book.placeOrder(accountId, stopRequest, orderListId, held);
    } catch (error) {
      this.book.cancelOrder(accountId, { orderId: limitOrder.orderId }, req.symbol, true);
      throw error;
    }
    return req.side === "sell" ? [stopOrder, limitOrder] : [limitOrder, stopOrder];
  }

  private remember(
    list: Omit<SimOrderList, "listStatusType" | "listOrderStatus" | "transactionTime">,
  ): SimOrderList {
    const full: SimOrderList = {
      ...list,
      listStatusType: "EXEC_STARTED",
      listOrderStatus: "EXECUTING",
      transactionTime: this.now(),
    };
    this.lists.set(full.orderListId, full);
    return { ...full };
  }

  /** The working order filled: the held legs go to work. */
  private release(list: SimOrderList): void {
    for (const id of list.ocoIds) this.book.release(id);
  }

  getList(accountId: string, ref: { orderListId?: string; listClientOrderId?: string }): SimOrderList {
    const list = this.find(accountId, ref);
    return { ...list };
  }

  openLists(accountId: string): SimOrderList[] {
    return [...this.lists.values()]
      .filter((l) => l.accountId === accountId && l.listOrderStatus === "EXECUTING")
      .map((l) => ({ ...l }));
  }

  /** Cancels every working leg; the list is ALL_DONE. */
  cancelList(accountId: string, ref: { orderListId?: string; listClientOrderId?: string }, symbol: string) {
    const list = this.find(accountId, ref);
    if (list.symbol !== symbol) throw new SimRejection("order_not_found", "order list does not exist");
    if (list.listOrderStatus === "ALL_DONE") throw new SimRejection("order_not_open", "order list is done");
    this.cancelLegs(list);
    return { ...list };
  }

  /** The legs of a list as they are now. */
  legs(list: SimOrderList): SimOrder[] {
    return list.orderIds.map((id) => this.book.getOrder(list.accountId, { orderId: id }));
  }

  // --- hooks from the book

  onFill(order: SimOrder): void {
    const list = this.listOf(order);
    if (!list) return;
    if (order.orderId === list.workingId) {
      if (order.status === "filled") this.release(list);
      return;
    }
    this.ocoDone(list, order);
  }

  onTrigger(order: SimOrder): void {
    const list = this.listOf(order);
    if (list && order.orderId !== list.workingId) this.ocoDone(list, order);
  }

  /** Cancelling any order of a list cancels the whole list (Binance). */
  onCancel(order: SimOrder): void {
    const list = this.listOf(order);
    if (list) this.cancelLegs(list, order.orderId);
  }

  private listOf(order: SimOrder): SimOrderList | undefined {
    if (order.orderListId === undefined) return undefined;
    const list = this.lists.get(order.orderListId);
    return list && list.listOrderStatus !== "ALL_DONE" ? list : undefined;
  }

  /** One OCO leg filled or triggered: the other one is cancelled and the list is done. */
  private ocoDone(list: SimOrderList, order: SimOrder): void {
    for (const id of list.ocoIds) {
      if (id === order.orderId) continue;
      const leg = this.book.getOrder(list.accountId, { orderId: id });
      if (isOpen(leg)) this.book.cancelOrder(list.accountId, { orderId: id }, list.symbol, true);
    }
    this.done(list);
  }

  private done(list: SimOrderList): void {
    list.listStatusType = "ALL_DONE";
    list.listOrderStatus = "ALL_DONE";
    list.transactionTime = this.now();
  }

  private cancelLegs(list: SimOrderList, except?: string): void {
    for (const id of list.orderIds) {
      if (id === except) continue;
      const leg = this.book.getOrder(list.accountId, { orderId: id });
      if (isOpen(leg)) this.book.cancelOrder(list.accountId, { orderId: id }, list.symbol, true);
    }
    this.done(list);
  }

  private find(accountId: string, ref: { orderListId?: string; listClientOrderId?: string }): SimOrderList {
    let found: SimOrderList | undefined;
    if (ref.orderListId !== undefined) found = this.lists.get(ref.orderListId);
    else if (ref.listClientOrderId !== undefined) {
      for (const l of this.lists.values()) {
        if (l.accountId === accountId && l.listClientOrderId === ref.listClientOrderId) found = l;
      }
    }
    if (!found || found.accountId !== accountId) throw new SimRejection("order_not_found", "order list does not exist");
    return found;
  }
}
