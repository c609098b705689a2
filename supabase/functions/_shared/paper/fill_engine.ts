/**
 * Paper fills: how an order would fare against a real quote, with no exchange involved. Pure.
 *
 * Rules (a resting order joins the book behind the touch, so the quote has to come to it):
 * - market orders fill in full at the touch (buy at the ask, sell at the bid), taker fee;
 * - a limit buy fills when ask <= price, a limit sell when bid >= price; on arrival such an order is marketable and
 *   fills at the touch as a taker (it can only improve on its limit); later, it fills at its own price as a maker;
 * - a stop sell (a protection leg) triggers when bid <= trigger_price and sells at the bid as a taker, unless the bid
 *   has already fallen below its limit (`price`; a stop-market has none): then it rests, as a stop-limit would;
 * - otherwise it rests (`open`).
 * Fees follow Binance spot without BNB: a buy pays its fee in the base asset (fewer coins arrive), a sell in quote.
 * Paper fills are whole: a quote carries no depth we could trust to split a fill.
 */
import { mul, toNumber } from "../trading/decimal.ts";
import type { OrderStatus } from "../trading/lifecycle.ts";
import type { OrderSide, OrderType } from "../orders/types.ts";
import { isUsableQuote, type Quote } from "../trading/quote.ts";

export interface PaperMarket {
  base: string;
  quote: string;
  /** Fee rates as fractions (0.001 = 0.1 %), from the market's loadMarkets entry. */
  maker: number;
  taker: number;
}

export interface PaperOrder {
  side: OrderSide;
  type: OrderType;
  price: number | null;
  amount: number;
  /** Stop orders: the bid at or below which they trigger. */
  trigger_price?: number | null;
}

export interface PaperFill {
  status: OrderStatus;
  filled: number;
  remaining: number;
  average: number | null;
  cost: number;
  feeCost: number;
  feeCurrency: string;
  isMaker: boolean | null;
}

export class PaperOrderError extends Error {
  override name = "PaperOrderError";
}

function filledAt(order: PaperOrder, price: number, isMaker: boolean, market: PaperMarket): PaperFill {
  const rate = isMaker ? market.maker : market.taker;
  const cost = toNumber(mul(order.amount, price));
  const buy = order.side === "buy";
  return {
    status: "filled",
    filled: order.amount,
    remaining: 0,
    average: price,
    cost,
    feeCost: toNumber(mul(buy ? order.amount : cost, rate)),
    feeCurrency: buy ? market.base : market.quote,
    isMaker,
  };
}

/** The state of an order resting untouched on the paper book. */
export function resting(order: PaperOrder, market: PaperMarket): PaperFill {
  return {
    status: "open",
    filled: 0,
    remaining: order.amount,
    average: null,
    cost: 0,
    feeCost: 0,
    feeCurrency: order.side === "buy" ? market.base : market.quote,
    isMaker: null,
  };
}

/** Relative tolerance on the trigger, so a bid exactly on it triggers despite float error. */
const TRIGGER_TOLERANCE = 1e-12;

function matchStop(order: PaperOrder, quote: Quote, market: PaperMarket): PaperFill {
  const trigger = order.trigger_price;
  if (order.side !== "sell") throw new PaperOrderError("paper stop orders are sells (a long's stop loss)");
  if (trigger === null || trigger === undefined || !(trigger > 0)) {
    throw new PaperOrderError(`paper stop order needs a trigger_price > 0, got ${trigger}`);
  }
  const triggered = quote.bid <= trigger * (1 + TRIGGER_TOLERANCE);
  const limitHolds = order.price === null || quote.bid >= order.price;
  return triggered && limitHolds ? filledAt(order, quote.bid, false, market) : resting(order, market);
}

/**
 * The order's state after meeting `quote`. `arriving` is true for the first look (the order is being placed): a
 * marketable limit then takes liquidity at the touch. A resting order that the quote reaches fills at its own price.
 * Returns null when the quote cannot be used (the order stays as it was).
 */
export function matchPaperOrder(
  order: PaperOrder,
  quote: Quote,
  market: PaperMarket,
  arriving: boolean,
): PaperFill | null {
  if (!(order.amount > 0)) throw new PaperOrderError(`paper order amount must be > 0, got ${order.amount}`);
  if (!isUsableQuote(quote)) return null;
  const buy = order.side === "buy";
  const touch = buy ? quote.ask : quote.bid;
  if (order.type === "market") {
    if (!arriving) return null; // a market order is decided on arrival; nothing rests
    return filledAt(order, touch, false, market);
  }
  if (order.type === "stop") return matchStop(order, quote, market);
  if (order.price === null || !(order.price > 0)) {
    throw new PaperOrderError(`paper limit order needs a price > 0, got ${order.price}`);
  }
  const crosses = buy ? quote.ask <= order.price : quote.bid >= order.price;
  if (!crosses) return resting(order, market);
  return arriving ? filledAt(order, touch, false, market) : filledAt(order, order.price, true, market);
}
