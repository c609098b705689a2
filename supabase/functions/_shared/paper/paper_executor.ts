/**
 * The paper "exchange": orders exist only in our tables (mode 'paper'); fills come from the latest public quotes the
 * burst fetched (fill_engine.ts). It never calls a private endpoint: it has no exchange client at all.
 */
import { FinalExchangeError } from "../exchange/errors.ts";
import type { OrderExecutor, ProtectionLegs, ProtectionView } from "../orders/executor.ts";
import type { TradeStore } from "../orders/store.ts";
import { type ExchangeOrderView, isProtectionLeg, type OrderRow } from "../orders/types.ts";
import { isFinalStatus } from "../trading/lifecycle.ts";
import { mul, toNumber } from "../trading/decimal.ts";
import { matchPaperOrder, type PaperFill, type PaperMarket, resting } from "./fill_engine.ts";
import type { Quote } from "../trading/quote.ts";
import { paperBalances } from "./paper_ledger.ts";
import type { Venue } from "../exchange/venues.ts";

/** The exchange id a paper order gets: derived from our id, so it is stable across bursts. */
export function paperOrderId(clientOrderId: string): string {
  return `paper-${clientOrderId}`;
}

export interface PaperExecutorOptions {
  venue: Venue;
  store: TradeStore;
  /** Latest quote per symbol (the burst refreshes it every tick). */
  quotes: ReadonlyMap<string, Quote>;
  markets: ReadonlyMap<string, PaperMarket>;
  startingQuote: number;
}

function view(order: OrderRow, fill: PaperFill): ExchangeOrderView {
  return {
    exchangeOrderId: paperOrderId(order.client_order_id),
    clientOrderId: order.client_order_id,
    status: fill.status,
    filled: fill.filled,
    remaining: fill.remaining,
    average: fill.average,
    cost: fill.cost,
    feeCost: fill.feeCost,
    feeCurrency: fill.feeCurrency,
    raw: { paper: true, isMaker: fill.isMaker },
  };
}

function unchanged(order: OrderRow): ExchangeOrderView {
  return {
    exchangeOrderId: order.exchange_order_id,
    clientOrderId: order.client_order_id,
    status: order.order_status,
    filled: order.filled,
    remaining: order.remaining,
    average: order.average,
    cost: order.cost,
    feeCost: order.fee_cost,
    feeCurrency: order.fee_currency,
    raw: order.raw,
  };
}

export class PaperExecutor implements OrderExecutor {
  readonly mode = "paper" as const;
  constructor(private readonly options: PaperExecutorOptions) {}

  #market(symbol: string): PaperMarket {
    const market = this.options.markets.get(symbol);
    if (!market) throw new FinalExchangeError(`paper: ${symbol} is not listed on ${this.options.venue}`);
    return market;
  }

  async create(order: OrderRow): Promise<ExchangeOrderView> {
    const market = this.#market(order.symbol);
    const quote = this.options.quotes.get(order.symbol);
    if (!quote) throw new FinalExchangeError(`paper: no quote for ${order.symbol} yet`);
    // Funds as a venue checks them: the order's own reservation must fit in what is free.
    const balances = await this.freeBalances([market.base, market.quote]);
    const needed = order.side === "buy" ? toNumber(mul(order.amount, order.price ?? quote.ask)) : order.amount;
    const asset = order.side === "buy" ? market.quote : market.base;
    if ((balances[asset] ?? 0) < needed) {
      throw new FinalExchangeError(
        `paper: insufficient balance: needs ${needed} ${asset}, has ${balances[asset] ?? 0} free`,
      );
    }
    const fill = matchPaperOrder(order, quote, market, true);
    if (!fill) throw new FinalExchangeError(`paper: the quote for ${order.symbol} is unusable`);
    return view(order, fill);
  }

  async lookup(order: OrderRow): Promise<ExchangeOrderView | null> {
    // Never submitted (crashed between record and send): the paper venue does not know it.
    if (order.order_status === "pending_submit" || order.exchange_order_id === null) return null;
    if (isFinalStatus(order.order_status)) return unchanged(order);
    // One leg of a protection list sold: the venue cancels the other (one fills, the other is cancelled).
    if (isProtectionLeg(order) && await this.#siblingSold(order)) return { ...unchanged(order), status: "cancelled" };
    const quote = this.options.quotes.get(order.symbol);
    const market = this.options.markets.get(order.symbol);
    if (!quote || !market) return unchanged(order);
    const fill = matchPaperOrder(order, quote, market, false);
    return fill && fill.status === "filled" ? view(order, fill) : unchanged(order);
  }

  /**
   * Both legs rest on the paper book as one list. Funds as a venue checks them: the list's amount of base must be
   * free (its legs lock it once). No quote yet (protection placed before the burst's first quote): both rest.
   */
  async createProtection(legs: ProtectionLegs): Promise<ProtectionView> {
    const { takeProfit, stopLoss } = legs;
    const market = this.#market(takeProfit.symbol);
    const free = (await this.freeBalances([market.base]))[market.base] ?? 0;
    if (free < takeProfit.amount) {
      throw new FinalExchangeError(
        `paper: insufficient balance: needs ${takeProfit.amount} ${market.base}, has ${free} free`,
      );
    }
    const quote = this.options.quotes.get(takeProfit.symbol);
    const arrive = (order: OrderRow) =>
      view(order, (quote ? matchPaperOrder(order, quote, market, true) : null) ?? resting(order, market));
    let tp = arrive(takeProfit);
    let sl = arrive(stopLoss);
    // A list whose leg fills on arrival cancels the other at once.
    if (tp.filled > 0) sl = { ...sl, status: "cancelled", remaining: 0 };
    else if (sl.filled > 0) tp = { ...tp, status: "cancelled", remaining: 0 };
    return { exchangeListId: `paper-${takeProfit.list_client_id}`, takeProfit: tp, stopLoss: sl };
  }

  async #siblingSold(order: OrderRow): Promise<boolean> {
    if (!order.position_id || !order.list_client_id) return false;
    const legs = await this.options.store.listOrdersOfPositions([order.position_id]);
    return legs.some((o) => o.id !== order.id && o.list_client_id === order.list_client_id && o.filled > 0);
  }

  cancel(order: OrderRow): Promise<ExchangeOrderView | null> {
    if (order.order_status === "pending_submit" || order.exchange_order_id === null) return Promise.resolve(null);
    if (isFinalStatus(order.order_status)) return Promise.resolve(unchanged(order));
    return Promise.resolve({ ...unchanged(order), status: "cancelled", remaining: 0 });
  }

  async freeBalances(assets: readonly string[]): Promise<Record<string, number>> {
    const orders = await this.options.store.listOrders(this.options.venue, "paper");
    // The same ledger balance-sync shows: starting USDT moved by paper fills and fees, minus resting orders.
    const balances = paperBalances(this.options.startingQuote, orders);
    return Object.fromEntries(assets.map((asset) => [asset, balances[asset]?.free ?? 0]));
  }
}
