/**
 * PnL from real fills and fees, never from an assumed move (the legacy bot's `move=0.002`).
 *
 * Fees may be charged in the quote currency (USDT), in the base asset (Binance charges a buy's fee in the coin
 * bought), or in a third currency (BNB discount). A base-asset fee on a buy means fewer coins arrive than were
 * bought, so it lowers the quantity that can later be sold. All sums are exact decimals (decimal.ts); the only
 * rounding is the final conversion to a number.
 */
import {
  add,
  compare,
  type Decimal,
  decimal,
  divide,
  InvalidDecimalError,
  mul,
  sub,
  sum,
  toNumber,
} from "./decimal.ts";

export interface FeeLike {
  cost: number;
  currency?: string | null;
}

/** A ccxt unified trade, or one of our stored fills. */
export interface FillLike {
  price: number;
  amount: number;
  fee?: FeeLike | null;
  /** ccxt also lists fees here; when present and non-empty it is used instead of `fee` (never both: same fee). */
  fees?: readonly FeeLike[] | null;
}

export interface PairCurrencies {
  base: string;
  quote: string;
  /**
   * Price in quote currency of any third currency fees are charged in, e.g. `{ BNB: 612.3 }`.
   * A fee in a currency that is neither base, quote nor listed here throws UnconvertibleFeeError.
   */
  feeRates?: Readonly<Record<string, number>>;
}

/** `BTC/USDT` → `{ base: "BTC", quote: "USDT" }`. */
export function pairOf(symbol: string): PairCurrencies {
  const match = /^([A-Za-z0-9]+)\/([A-Za-z0-9]+)$/.exec(symbol);
  const [base, quote] = [match?.[1], match?.[2]];
  if (base === undefined || quote === undefined) {
    throw new RangeError(`symbol must look like BASE/QUOTE, got ${JSON.stringify(symbol)}`);
  }
  return { base: base.toUpperCase(), quote: quote.toUpperCase() };
}

export class InvalidFillError extends Error {
  constructor(readonly index: number, readonly field: string, readonly value: unknown) {
    super(`fill[${index}].${field} is invalid: ${String(value)}`);
    this.name = "InvalidFillError";
  }
}

export class UnconvertibleFeeError extends Error {
  constructor(readonly currency: string, readonly pair: PairCurrencies) {
    super(
      `fee charged in ${currency} cannot be converted to ${pair.quote}: ` +
        `pass feeRates.${currency} (its price in ${pair.quote})`,
    );
    this.name = "UnconvertibleFeeError";
  }
}

export interface FillSummary {
  fillCount: number;
  /** Base quantity traded, before any fee. */
  qty: number;
  /** quoteCost / qty; 0 when nothing filled. */
  avgPrice: number;
  /** Σ price × amount (the buy's cost or the sell's gross proceeds). */
  quoteCost: number;
  /** Every fee in quote currency: base-asset fees at their fill's price, third currencies at feeRates. */
  feesQuote: number;
  /** Fees charged in the base asset, in base units. */
  baseFees: number;
  /** Fees not charged in the base asset (quote and third currencies), in quote currency: cash paid on top. */
  nonBaseFeesQuote: number;
  /** qty − baseFees: for buys, the base that actually arrived. */
  netBaseQty: number;
}

interface ExactSummary {
  qty: Decimal;
  quoteCost: Decimal;
  baseFees: Decimal;
  baseFeesQuote: Decimal;
  nonBaseFeesQuote: Decimal;
}

function exactNumber(value: unknown, index: number, field: string): Decimal {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new InvalidFillError(index, field, value);
  try {
    return decimal(value);
  } catch (error) {
    if (error instanceof InvalidDecimalError) throw new InvalidFillError(index, field, value);
    throw error;
  }
}

/** A fill's fees: `fees` when it lists any, else `fee` (ccxt gives the same fee in both). */
export function feesOf(fill: FillLike): readonly FeeLike[] {
  if (fill.fees && fill.fees.length > 0) return fill.fees;
  return fill.fee ? [fill.fee] : [];
}

function summarizeExact(fills: readonly FillLike[], pair: PairCurrencies): ExactSummary {
  const zero = decimal(0);
  const out: ExactSummary = {
    qty: zero,
    quoteCost: zero,
    baseFees: zero,
    baseFeesQuote: zero,
    nonBaseFeesQuote: zero,
  };
  const base = pair.base.toUpperCase();
  const quote = pair.quote.toUpperCase();
  fills.forEach((fill, i) => {
    const price = exactNumber(fill.price, i, "price");
    const amount = exactNumber(fill.amount, i, "amount");
    if (price.units < 0n) throw new InvalidFillError(i, "price", fill.price);
    if (amount.units < 0n) throw new InvalidFillError(i, "amount", fill.amount);
    out.qty = add(out.qty, amount);
    out.quoteCost = add(out.quoteCost, mul(price, amount));
    feesOf(fill).forEach((fee, j) => {
      const cost = exactNumber(fee.cost, i, `fees[${j}].cost`);
      if (cost.units === 0n) return; // a zero fee needs no currency
      const currency = (fee.currency ?? "").toUpperCase();
      if (currency === base) {
        out.baseFees = add(out.baseFees, cost);
        out.baseFeesQuote = add(out.baseFeesQuote, mul(cost, price));
      } else if (currency === quote) {
        out.nonBaseFeesQuote = add(out.nonBaseFeesQuote, cost);
      } else {
        const rate = pair.feeRates?.[currency] ?? pair.feeRates?.[fee.currency ?? ""];
        if (rate === undefined || !Number.isFinite(rate) || rate < 0) {
          throw new UnconvertibleFeeError(currency || "(no currency)", pair);
        }
        out.nonBaseFeesQuote = add(out.nonBaseFeesQuote, mul(cost, rate));
      }
    });
  });
  return out;
}

function toSummary(exact: ExactSummary, fillCount: number): FillSummary {
  return {
    fillCount,
    qty: toNumber(exact.qty),
    avgPrice: exact.qty.units === 0n ? 0 : toNumber(divide(exact.quoteCost, exact.qty)),
    quoteCost: toNumber(exact.quoteCost),
    feesQuote: toNumber(add(exact.baseFeesQuote, exact.nonBaseFeesQuote)),
    baseFees: toNumber(exact.baseFees),
    nonBaseFeesQuote: toNumber(exact.nonBaseFeesQuote),
    netBaseQty: toNumber(sub(exact.qty, exact.baseFees)),
  };
}

/** Aggregates fills of one side of one order (or of several orders of the same side). */
export function summarizeFills(fills: readonly FillLike[], pair: PairCurrencies): FillSummary {
  return toSummary(summarizeExact(fills, pair), fills.length);
}

/**
 * Base quantity a long actually holds after its entry fills: bought minus base-asset fees. Not floored: floor it to
 * the lot step (precision.floorAmount) before selling; the remainder is dust that stays in the wallet.
 */
export function sellableQuantity(entryFills: readonly FillLike[], pair: PairCurrencies): number {
  const exact = summarizeExact(entryFills, pair);
  return toNumber(sub(exact.qty, exact.baseFees));
}

export interface RealizedPnl {
  /** Realized PnL in quote currency. */
  pnl: number;
  entry: FillSummary;
  exit: FillSummary;
  /** entry.feesQuote + exit.feesQuote: every fee of the round trip in quote currency (for trade_logs.fees_usd). */
  feesQuote: number;
  /** Base still held from this position: entry.netBaseQty − base that left on exit (sold + exit base fees). */
  unsoldQty: number;
  /** The share of the entry's outlay (cost + quote fees) that `unsoldQty` carries: not in `pnl`, still held. */
  unsoldCost: number;
}

/**
 * Realized PnL of a long: what the exit brought in (gross proceeds − its quote fees) minus what the entry cost
 * (gross cost + its quote fees) for the share of the holding that was sold.
 *
 * When the whole holding is sold this is exactly exit proceeds − entry cost − all fees in quote, where a base-asset
 * entry fee is counted once: as the coins that never arrived (and so were never sold), which is the same as its value
 * at the fill price. Subtracting it again as a fee would count it twice.
 * When less is sold (lot-step dust), only the sold share of the entry's cost is realized; `unsoldQty` says how much
 * is left.
 */
export function realizedPnl(
  entryFills: readonly FillLike[],
  exitFills: readonly FillLike[],
  pair: PairCurrencies,
): RealizedPnl {
  const entry = summarizeExact(entryFills, pair);
  const exit = summarizeExact(exitFills, pair);
  const held = sub(entry.qty, entry.baseFees);
  const left = add(exit.qty, exit.baseFees);
  const entryOutlay = add(entry.quoteCost, entry.nonBaseFeesQuote);
  const exitIncome = sub(exit.quoteCost, exit.nonBaseFeesQuote);
  let realizedCost: Decimal;
  if (held.units <= 0n) {
    realizedCost = entryOutlay; // nothing held: the whole outlay is spent whatever the exit
  } else if (compare(left, held) === 0) {
    realizedCost = entryOutlay;
  } else {
    realizedCost = divide(mul(entryOutlay, left), held);
  }
  const entrySummary = toSummary(entry, entryFills.length);
  const exitSummary = toSummary(exit, exitFills.length);
  return {
    pnl: toNumber(sub(exitIncome, realizedCost)),
    entry: entrySummary,
    exit: exitSummary,
    feesQuote: toNumber(sum([entry.baseFeesQuote, entry.nonBaseFeesQuote, exit.baseFeesQuote, exit.nonBaseFeesQuote])),
    unsoldQty: toNumber(sub(held, left)),
    unsoldCost: toNumber(sub(entryOutlay, realizedCost)),
  };
}
