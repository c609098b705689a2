/**
 * The quote asset's free balance as a venue's burst knows it. It is read from the venue before a tick's quote
 * request, never between a quote and an order (a balance read is a heavy request: Binance weight 20, which ccxt's
 * rate limiter would make the next order wait for). Each entry then subtracts what it reserves. Whatever frees or
 * adds funds in a way the burst does not model exactly (an exit's proceeds, a cancelled or refused entry) makes the
 * figure stale, and the next tick reads it again.
 */
export class FreeQuoteLedger {
  #free: number | null = null;

  constructor(private readonly read: () => Promise<number>) {}

  /** The free balance, or null when it has not been read since it went stale. */
  get free(): number | null {
    return this.#free;
  }

  /** Reads the balance when it is stale; a failed read leaves it stale and throws. */
  async ensure(): Promise<number> {
    if (this.#free === null) {
      const free = await this.read();
      this.#free = Number.isFinite(free) && free > 0 ? free : 0;
    }
    return this.#free;
  }

  /** An entry now reserves `quoteAmount` (amount × limit price) at the venue. */
  reserve(quoteAmount: number): void {
    if (this.#free !== null && Number.isFinite(quoteAmount) && quoteAmount > 0) {
      this.#free = Math.max(0, this.#free - quoteAmount);
    }
  }

  /** Funds moved in a way only the venue knows exactly: read again before the next entry. */
  invalidate(): void {
    this.#free = null;
  }
}
