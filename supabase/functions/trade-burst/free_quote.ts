/**
 * The quote asset's free balance as a venue's burst knows it. It is read from the venue before a tick's quote
 * request, never between a quote and an order (a balance read is a heavy request: Binance weight 20). Each entry then
 * subtracts what it reserves, and each of our orders that ends moves it by what the venue moves: a buy releases its
 * reservation less what it spent, a sell adds its proceeds, fees paid in the quote asset are taken off. So after an
 * exit the next entry can be sized at once, without a balance read (issue 17: REST for orders, cancels and the
 * reconcile). Whatever the burst cannot model exactly makes the figure stale, and the next tick reads it again: a
 * refused order (the venue may have refused it for funds), an order without a limit price or a known cost, a fee of
 * unknown currency, an order in another quote asset, and any order that ends while a read is in flight (the answer
 * may or may not include it).
 *
 * Not modelled: funds moved outside the burst (a deposit, a manual trade) until the next read, and a fill the venue
 * applied before a read was sent but reported to us after its answer (the stream lagging behind REST), which would be
 * counted twice. Either can only overstate the figure; the venue then refuses an entry it cannot fund, which makes the
 * figure stale.
 */
import type { OrderRow } from "../_shared/orders/types.ts";

/** The order figures the ledger reads when an order ends. */
export type EndedOrder = Pick<
  OrderRow,
  "side" | "symbol" | "price" | "amount" | "filled" | "average" | "cost" | "fee_cost" | "fee_currency" | "order_status"
>;

export class FreeQuoteLedger {
  #free: number | null = null;
  #reading = false;
  #endedWhileReading = false;

  /**
   * @param read the venue's free balance of `quoteAsset`
   * @param quoteOf the quote asset of a symbol (undefined when unknown)
   */
  constructor(
    private readonly read: () => Promise<number>,
    private readonly quoteAsset: () => string,
    private readonly quoteOf: (symbol: string) => string | undefined,
  ) {}

  /** The free balance, or null when it has not been read since it went stale. */
  get free(): number | null {
    return this.#free;
  }

  /** Reads the balance when it is stale; a failed read leaves it stale and throws. */
  async ensure(): Promise<number | null> {
    if (this.#free === null && !this.#reading) {
      this.#reading = true;
      this.#endedWhileReading = false;
      try {
        const free = await this.read();
        // An order that ended meanwhile may or may not be in the answer: leave it stale for the next tick.
        if (!this.#endedWhileReading) this.#free = Number.isFinite(free) && free > 0 ? free : 0;
      } finally {
        this.#reading = false;
      }
    }
    return this.#free;
  }

  /** An entry now reserves `quoteAmount` (amount × limit price) at the venue. */
  reserve(quoteAmount: number): void {
    if (this.#free !== null && Number.isFinite(quoteAmount) && quoteAmount > 0) {
      this.#free = Math.max(0, this.#free - quoteAmount);
    }
  }

  /** One of our orders reached a final status: move the balance as the venue does, or make it stale. */
  ended(order: EndedOrder): void {
    if (this.#reading) this.#endedWhileReading = true;
    if (this.#free === null) return;
    const delta = quoteMovement(order, this.quoteAsset(), this.quoteOf(order.symbol));
    if (delta === null) this.#free = null;
    else this.#free = Math.max(0, this.#free + delta);
  }
}

/**
 * What an ended order changes in the free quote balance against the moment before it was placed (a buy's reservation
 * already taken off): null when that cannot be told from the order alone.
 */
export function quoteMovement(order: EndedOrder, quoteAsset: string, symbolQuote: string | undefined): number | null {
  if (symbolQuote !== quoteAsset) return null;
  if (order.order_status === "rejected") return null;
  const fee = order.fee_cost ?? 0;
  if (!Number.isFinite(fee)) return null;
  if (fee !== 0 && order.fee_currency === null) return null;
  const feeInQuote = order.fee_currency === quoteAsset ? fee : 0;
  const spent = executedCost(order);
  if (spent === null) return null;
  if (order.side === "sell") return spent - feeInQuote;
  if (order.price === null || !Number.isFinite(order.price)) return null;
  return order.amount * order.price - spent - feeInQuote;
}

/** filled × average price, as the venue reports it (its cost when it gives one). */
function executedCost(order: EndedOrder): number | null {
  if (order.filled === 0) return 0;
  if (Number.isFinite(order.cost) && order.cost > 0) return order.cost;
  if (order.average !== null && Number.isFinite(order.average) && order.average > 0) {
    return order.filled * order.average;
  }
  return null;
}
