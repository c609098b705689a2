/**
 * Orders on a real venue (testnet or live) through our VenueClient. Maps its answers onto ExchangeOrderView and
 * fills in fees from the order's trades when the order answer lacks them (Binance's GET order carries none).
 * Protection legs of a venue that holds them as one algo (OKX) are read and cancelled through algo_legs.ts until the
 * leg that fired has an order of its own; from then on that order is read like any other.
 */
import { FinalExchangeError, isOrderNotFound } from "../exchange/errors.ts";
import type { VenueClient, VenueOrder, VenueTrade } from "../exchange/venue_client.ts";
import type { TradingMode } from "../settings.ts";
import { VENUE_PROFILES } from "../exchange/venues.ts";
import { add, mul, toNumber } from "../trading/decimal.ts";
import { isFinalStatus, statusFromCcxtOrder } from "../trading/lifecycle.ts";
import {
  CANCEL_REQUESTED,
  type CancelOptions,
  type OrderExecutor,
  type ProtectionLegs,
  type ProtectionView,
  type RehearsedOrder,
} from "./executor.ts";
import { type ExchangeOrderView, isProtectionLeg, type OrderRow } from "./types.ts";
import { AlgoLegs, isAlgoClient } from "./algo_legs.ts";

/** Kept here too: callers of the order layer ask it whether an error means "no such order". */
export { isOrderNotFound };

function finite(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A venue order as our view. `fallbackAmount` fills in a missing amount (some answers omit it). */
export function viewFromVenueOrder(order: VenueOrder, fallbackAmount: number): ExchangeOrderView {
  const amount = finite(order.amount) ?? fallbackAmount;
  const filled = finite(order.filled) ?? 0;
  const average = finite(order.average) ?? (filled > 0 && finite(order.cost) ? order.cost! / filled : null);
  const cost = finite(order.cost) ?? (average !== null ? toNumber(mul(filled, average)) : 0);
  return {
    exchangeOrderId: order.id,
    clientOrderId: order.clientOrderId,
    status: statusFromCcxtOrder({ status: order.status, amount, filled }),
    filled,
    remaining: finite(order.remaining),
    price: finite(order.price),
    amount: finite(order.amount),
    average: filled > 0 ? average : null,
    cost,
    feeCost: finite(order.fee?.cost),
    feeCurrency: order.fee?.currency ?? null,
    raw: order.raw,
  };
}

/** The view of a cancel's answer that names `order` cancelled with nothing filled, else null. */
function cancelledUnfilled(answer: VenueOrder, order: OrderRow): ExchangeOrderView | null {
  if (answer.id !== order.exchange_order_id || answer.status !== "canceled" || answer.filled !== 0) return null;
  // The order's own client id: Binance's answer carries the cancel request's id in clientOrderId.
  return { ...viewFromVenueOrder(answer, order.amount), clientOrderId: order.client_order_id };
}

/** How far back to look for an order's trades: before the order's creation, allowing for clock skew. */
const TRADE_LOOKBACK_MS = 5 * 60_000;

export class ExchangeExecutor implements OrderExecutor {
  /** Present only where the venue client can place protection lists (the venue's `protection` fact). */
  readonly createProtection?: (legs: ProtectionLegs) => Promise<ProtectionView>;

  /** Present where the venue holds a position's protection as one algo order (its `protection` fact). */
  readonly #algoLegs?: AlgoLegs;

  constructor(
    readonly mode: Exclude<TradingMode, "paper">,
    private readonly client: VenueClient,
    options: { nowMs?: () => number } = {},
  ) {
    const place = client.createProtectionList?.bind(client);
    if (isAlgoClient(client)) {
      const legs = new AlgoLegs(client, {
        nowMs: options.nowMs,
        readOrder: (leg, exchangeOrderId) => this.#lookupOrder({ ...leg, exchange_order_id: exchangeOrderId }),
      });
      this.#algoLegs = legs;
      this.createProtection = (pair) => legs.place(pair);
    } else if (place) {
      this.createProtection = async ({ takeProfit, stopLoss }) => {
        if (stopLoss.trigger_price == null || stopLoss.price === null || takeProfit.price === null) {
          throw new FinalExchangeError(
            "a protection list needs the take profit's price and the stop's trigger and limit",
          );
        }
        const answer = await place({
          symbol: takeProfit.symbol,
          amount: takeProfit.amount,
          listClientId: takeProfit.list_client_id ?? takeProfit.client_order_id,
          takeProfit: { price: takeProfit.price, clientOrderId: takeProfit.client_order_id },
          stopLoss: {
            triggerPrice: stopLoss.trigger_price,
            price: stopLoss.price,
            clientOrderId: stopLoss.client_order_id,
          },
        });
        return {
          exchangeListId: answer.listId,
          takeProfit: await this.#withFees(takeProfit, viewFromVenueOrder(answer.takeProfit, takeProfit.amount)),
          stopLoss: await this.#withFees(stopLoss, viewFromVenueOrder(answer.stopLoss, stopLoss.amount)),
        };
      };
    }
  }

  async create(order: OrderRow): Promise<ExchangeOrderView> {
    // A stop leg exists only as part of its protection list (createProtection), never on its own.
    if (order.type === "stop") throw new FinalExchangeError("a stop order is sent only as part of a protection list");
    const answer = await this.client.createOrder({
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      amount: order.amount,
      ...(order.price !== null && order.type === "limit" ? { price: order.price } : {}),
      clientOrderId: order.client_order_id,
    });
    return await this.#withFees(order, viewFromVenueOrder(answer, order.amount));
  }

  async rehearse(order: RehearsedOrder): Promise<void> {
    await this.client.rehearseOrder(order);
  }

  async lookup(order: OrderRow): Promise<ExchangeOrderView | null> {
    if (this.#isAlgoLeg(order)) return await this.#algoLegs!.view(order);
    return await this.#lookupOrder(order);
  }

  /** A leg still held by its algo (no order of its own yet). */
  #isAlgoLeg(order: OrderRow): boolean {
    return this.#algoLegs !== undefined && isProtectionLeg(order) && !order.exchange_order_id;
  }

  async #lookupOrder(order: OrderRow): Promise<ExchangeOrderView | null> {
    try {
      const answer = order.exchange_order_id
        ? await this.client.fetchOrder(order.exchange_order_id, order.symbol)
        : await this.client.fetchOrderByClientId(order.client_order_id, order.symbol);
      return await this.#withFees(order, viewFromVenueOrder(answer, order.amount));
    } catch (error) {
      if (isOrderNotFound(error)) return null;
      throw error;
    }
  }

  cancel(order: OrderRow): Promise<ExchangeOrderView | null>;
  cancel(order: OrderRow, options?: CancelOptions): Promise<ExchangeOrderView | null | typeof CANCEL_REQUESTED>;
  async cancel(
    order: OrderRow,
    { outcomeByPush = false }: CancelOptions = {},
  ): Promise<ExchangeOrderView | null | typeof CANCEL_REQUESTED> {
    if (this.#isAlgoLeg(order)) return await this.#algoLegs!.cancel(order);
    if (!order.exchange_order_id) {
      const found = await this.lookup(order);
      if (!found?.exchangeOrderId) return found;
      order = { ...order, exchange_order_id: found.exchangeOrderId };
    }
    let answer: VenueOrder | null = null;
    try {
      answer = await this.client.cancelOrder(order.exchange_order_id!, order.symbol);
    } catch (error) {
      // Already filled or gone: what matters is its state now, which the lookup below reads.
      if (!(error instanceof FinalExchangeError)) throw error;
    }
    // An answer that says the order ended cancelled with nothing traded is the whole story (Binance's cancel answers
    // with the order's final state; nothing filled means no fees to read). Anything else is looked up: the cancel
    // answer may omit fills (OKX's names no state at all), and the order itself says what traded before the cancel.
    // Unless the venue took the cancel and its stream pushes the order's last update, which carries the same.
    const concluded = answer && cancelledUnfilled(answer, order);
    if (concluded) return concluded;
    if (answer && outcomeByPush) return CANCEL_REQUESTED;
    return await this.lookup(order);
  }

  async listOpen(): Promise<ExchangeOrderView[]> {
    const open = await this.client.fetchOpenOrders();
    return open.map((o) => viewFromVenueOrder(o, (finite(o.filled) ?? 0) + (finite(o.remaining) ?? 0)));
  }

  /**
   * Compares shares of the venue's limits: Binance's openOrders for all symbols weighs 80 against 4 per GET order
   * (the list pays from 21 working orders on), OKX's orders-pending and GET order each draw on their own 60 per 2 s.
   */
  prefersOpenList(lookups: number): boolean {
    const { limits, costs } = VENUE_PROFILES[this.client.venue].rateLimits;
    const share = (cost: Readonly<Record<string, number>>) =>
      Math.max(...Object.entries(cost).map(([id, n]) => n / (limits.find((l) => l.id === id)?.limit ?? 1)));
    return share(costs.fetchOpenOrders) < lookups * share(costs.fetchOrder);
  }

  affordableRefreshes(): { lookups: number; openList: boolean } {
    const now = (operation: "fetchOrder" | "fetchOpenOrders") =>
      this.client.affordableNow?.(operation) ?? Number.POSITIVE_INFINITY;
    return { lookups: now("fetchOrder"), openList: now("fetchOpenOrders") >= 1 };
  }

  affordableEntries(): number {
    return this.client.affordableNow?.("createOrder", { leaveOrderReserve: true }) ?? Number.POSITIVE_INFINITY;
  }

  async freeBalances(assets: readonly string[]): Promise<Record<string, number>> {
    const balances = await this.client.fetchBalances();
    return Object.fromEntries(assets.map((asset) => [asset, balances[asset]?.free ?? 0]));
  }

  /** A final order with fills but no fee: sum the fees (and exact cost) from its trades. */
  async #withFees(order: OrderRow, view: ExchangeOrderView): Promise<ExchangeOrderView> {
    if (!(view.filled > 0) || view.feeCost !== null || !isFinalStatus(view.status) || !view.exchangeOrderId) {
      return view;
    }
    const since = Date.parse(order.created_at) - TRADE_LOOKBACK_MS;
    const trades = (await this.client.fetchMyTrades(order.symbol, Number.isFinite(since) ? since : undefined))
      .filter((trade: VenueTrade) => trade.orderId === view.exchangeOrderId);
    if (trades.length === 0) return view;
    let fee = add(0, 0);
    let cost = add(0, 0);
    let currency: string | null = null;
    for (const trade of trades) {
      cost = add(cost, trade.cost ?? mul(trade.price, trade.amount));
      if (trade.fee?.cost) {
        fee = add(fee, trade.fee.cost);
        currency ??= trade.fee.currency;
      }
    }
    return { ...view, feeCost: toNumber(fee), feeCurrency: currency, cost: toNumber(cost) };
  }
}
