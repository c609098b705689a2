/**
 * Turns an intended order (USD size or base quantity, and a reference price) into an amount and price the exchange
 * accepts: amount on the lot-step grid, price on the tick grid, at or above the minimum amount and minimum notional.
 * Too small is reported, never rounded up: the bot must never spend or sell more than intended.
 * All grid arithmetic is exact (see decimal.ts).
 */
import { ceilDiv, compare, type Decimal, decimal, floorDiv, InvalidDecimalError, mul, toNumber } from "./decimal.ts";

/**
 * `tick_size`: the step is the increment itself (0.00001). `decimal_places`: the step is a digit count (5 = 0.00001).
 * ccxt's binance and okx both use TICK_SIZE, so that is the default.
 */
export type PrecisionMode = "tick_size" | "decimal_places";

export interface MarketRules {
  /** Lot step for amounts (base currency), read per amountPrecisionMode. */
  amountStep: number;
  /** Tick for prices (quote currency), read per pricePrecisionMode. */
  priceStep: number;
  /** Minimum amount in base currency; null/undefined = none. */
  minAmount?: number | null;
  /** Minimum notional (amount × price) in quote currency; null/undefined = none. */
  minCost?: number | null;
  amountPrecisionMode?: PrecisionMode;
  pricePrecisionMode?: PrecisionMode;
}

export type PrecisionFailureReason = "below_min_amount" | "below_min_notional" | "zero_amount" | "invalid_price";

/** `amount`, `price` and `notional` are set on failures too, so a skip can be logged with what was tried. */
export type PreparedOrder =
  | { ok: true; amount: number; price: number; notional: number }
  | { ok: false; reason: PrecisionFailureReason; amount: number; price: number; notional: number };

/** The market description itself is unusable (missing or non-positive step): an exchange-layer bug. */
export class InvalidMarketRulesError extends Error {
  constructor(readonly field: keyof MarketRules, readonly value: unknown) {
    super(`market rule ${field} is invalid: ${String(value)}`);
    this.name = "InvalidMarketRulesError";
  }
}

function stepOf(field: "amountStep" | "priceStep", value: number, mode: PrecisionMode | undefined): Decimal {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new InvalidMarketRulesError(field, value);
  if (mode === "decimal_places") {
    if (!Number.isInteger(value) || value < 0) throw new InvalidMarketRulesError(field, value);
    return decimal(`1e-${value}`);
  }
  if (value <= 0) throw new InvalidMarketRulesError(field, value);
  return decimal(value);
}

/** The lot step as an exact decimal, whatever the precision mode. */
export function amountStepOf(market: MarketRules): Decimal {
  return stepOf("amountStep", market.amountStep, market.amountPrecisionMode);
}

/** The price tick as an exact decimal, whatever the precision mode. */
export function priceStepOf(market: MarketRules): Decimal {
  return stepOf("priceStep", market.priceStep, market.pricePrecisionMode);
}

function nonNegative(name: string, value: number): Decimal {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return decimal(value);
}

function minimumChecks(amount: Decimal, price: Decimal, market: MarketRules): PreparedOrder {
  const notional = mul(amount, price);
  const result = { amount: toNumber(amount), price: toNumber(price), notional: toNumber(notional) };
  if (amount.units === 0n) return { ok: false, reason: "zero_amount", ...result };
  if (market.minAmount != null && compare(amount, market.minAmount) < 0) {
    return { ok: false, reason: "below_min_amount", ...result };
  }
  if (market.minCost != null && compare(notional, market.minCost) < 0) {
    return { ok: false, reason: "below_min_notional", ...result };
  }
  return { ok: true, ...result };
}

function usablePrice(price: number): Decimal | null {
  try {
    return Number.isFinite(price) && price > 0 ? decimal(price) : null;
  } catch (error) {
    if (error instanceof InvalidDecimalError) return null;
    throw error;
  }
}

/**
 * A limit buy spending at most `sizeUsd`: price floored to the tick (never pay more than the reference), then
 * amount = floor(sizeUsd / (price × step)) × step, computed exactly, so amount × price <= sizeUsd always.
 */
export function prepareBuy(order: { sizeUsd: number; price: number }, market: MarketRules): PreparedOrder {
  const size = nonNegative("sizeUsd", order.sizeUsd);
  const amountStep = amountStepOf(market);
  const tick = priceStepOf(market);
  const reference = usablePrice(order.price);
  if (!reference) return { ok: false, reason: "invalid_price", amount: 0, price: order.price, notional: 0 };
  const price = mul(floorDiv(reference, tick).toString(), tick);
  if (price.units <= 0n) return { ok: false, reason: "invalid_price", amount: 0, price: 0, notional: 0 };
  const amount = mul(floorDiv(size, mul(price, amountStep)).toString(), amountStep);
  return minimumChecks(amount, price, market);
}

/**
 * How a sell price goes onto the tick grid.
 * - `up` (default, for take profit): ceil, so the order never asks less than the target.
 * - `down` (for stop loss / time stop placed at or below the bid): floor, so the order is at least as marketable as
 *   the reference and fills. A bid is already on the grid, so for it both are a no-op.
 */
export type SellPriceRounding = "up" | "down";

/** A sell of at most `quantity` base units: amount floored to the lot step (never sell more than held). */
export function prepareSell(
  order: { quantity: number; price: number; priceRounding?: SellPriceRounding },
  market: MarketRules,
): PreparedOrder {
  const quantity = nonNegative("quantity", order.quantity);
  const amountStep = amountStepOf(market);
  const tick = priceStepOf(market);
  const reference = usablePrice(order.price);
  if (!reference) return { ok: false, reason: "invalid_price", amount: 0, price: order.price, notional: 0 };
  const ticks = (order.priceRounding ?? "up") === "up" ? ceilDiv(reference, tick) : floorDiv(reference, tick);
  const price = mul(ticks.toString(), tick);
  if (price.units <= 0n) return { ok: false, reason: "invalid_price", amount: 0, price: 0, notional: 0 };
  const amount = mul(floorDiv(quantity, amountStep).toString(), amountStep);
  return minimumChecks(amount, price, market);
}

/** Floors a base quantity to the market's lot step (e.g. what is sellable after base-asset fees). */
export function floorAmount(quantity: number, market: MarketRules): number {
  const step = amountStepOf(market);
  return toNumber(mul(floorDiv(nonNegative("quantity", quantity), step).toString(), step));
}

/** ccxt's precisionMode constants (ccxt/js/src/base/functions/number.js). */
export const CCXT_DECIMAL_PLACES = 2;
export const CCXT_SIGNIFICANT_DIGITS = 3;
export const CCXT_TICK_SIZE = 4;

/** The parts of a ccxt unified market this module reads. */
export interface CcxtMarketLike {
  precision: { amount?: number | null; price?: number | null };
  limits: { amount?: { min?: number | null }; cost?: { min?: number | null } };
}

/** Builds MarketRules from a ccxt unified market and the exchange's `precisionMode`. */
export function marketRulesFromCcxt(market: CcxtMarketLike, precisionMode: number): MarketRules {
  if (precisionMode !== CCXT_TICK_SIZE && precisionMode !== CCXT_DECIMAL_PLACES) {
    // SIGNIFICANT_DIGITS has no fixed grid; neither venue we trade uses it.
    throw new InvalidMarketRulesError("amountPrecisionMode", precisionMode);
  }
  const mode: PrecisionMode = precisionMode === CCXT_TICK_SIZE ? "tick_size" : "decimal_places";
  const rules: MarketRules = {
    amountStep: market.precision.amount ?? NaN,
    priceStep: market.precision.price ?? NaN,
    minAmount: market.limits.amount?.min ?? null,
    minCost: market.limits.cost?.min ?? null,
    amountPrecisionMode: mode,
    pricePrecisionMode: mode,
  };
  amountStepOf(rules); // throw now, naming the field, rather than at the first order
  priceStepOf(rules);
  return rules;
}
