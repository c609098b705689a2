/**
 * The one quote shape: a symbol's best bid and ask, both present. The venue client's answer (VenueQuote, where a side
 * may be missing) becomes one through quoteFromBook; the burst, the signal, the exits and the paper fill engine all
 * take this.
 */

export interface Quote {
  bid: number;
  ask: number;
}

/** A quote we can trade on: finite, positive, not crossed. */
export function isUsableQuote(quote: Quote): boolean {
  return Number.isFinite(quote.bid) && Number.isFinite(quote.ask) && quote.bid > 0 && quote.ask > 0 &&
    quote.ask >= quote.bid;
}

/** The quote a venue's best bid/ask make, or null when a side is missing. */
export function quoteFromBook(book: { bid: number | null; ask: number | null } | undefined): Quote | null {
  return book && book.bid !== null && book.ask !== null ? { bid: book.bid, ask: book.ask } : null;
}

export function midPrice(quote: Quote): number {
  return (quote.bid + quote.ask) / 2;
}

/** (ask - bid) / mid × 100; 0 when mid is not positive (legacy `compute_spread_pct`). */
export function spreadPct(bid: number, ask: number): number {
  const mid = (bid + ask) / 2;
  return mid > 0 ? ((ask - bid) / mid) * 100 : 0;
}
