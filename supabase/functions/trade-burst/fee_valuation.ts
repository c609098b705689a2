/**
 * Fees charged in a third currency (Binance's "pay fees with BNB"): valued in the quote currency from a quote of that
 * asset (`BNB/USDT`), the rate recorded on the order row (fee_rate_used, fee_valued_usd) so PnL and the daily loss
 * limit see the fee. When no quote can be read the fee stays unvalued on the row (a note says so) and the position is
 * managed all the same: a fee never stops a venue (issue 14).
 */
import { describeError } from "../_shared/describe_error.ts";
import type { Clock } from "../_shared/clock.ts";
import { ExchangeLayerError, NeedsHumanError } from "../_shared/exchange/errors.ts";
import type { VenueClient } from "../_shared/exchange/venue_client.ts";
import { thirdFeeCurrency } from "../_shared/orders/positions.ts";
import type { TradeStore } from "../_shared/orders/store.ts";
import type { OrderRow } from "../_shared/orders/types.ts";
import { isUsableQuote, midPrice, type Quote, quoteFromBook } from "../_shared/trading/quote.ts";
import { note, type VenueSummary } from "./summary.ts";

export interface FeeValuationContext {
  client: VenueClient;
  /** This tick's quotes; a fee currency the burst already quotes needs no extra read. */
  quotes: ReadonlyMap<string, Quote>;
  store: TradeStore;
  clock: Clock;
  summary: VenueSummary;
}

export class FeeValuation {
  /** Rates read this burst, per pair (`BNB/USDT`); null = could not be read (not asked again this burst). */
  readonly #rates = new Map<string, number | null>();

  constructor(private readonly ctx: FeeValuationContext) {}

  /** Returns the orders with every third-currency fee valued (rows updated), or left unvalued with a note. */
  async value(orders: readonly OrderRow[]): Promise<OrderRow[]> {
    const out: OrderRow[] = [];
    for (const order of orders) {
      const currency = thirdFeeCurrency(order);
      const valued = currency === null ? null : order.fee_rate_used ?? await this.#rate(currency, order.symbol);
      if (currency === null || valued === null || valued === undefined) {
        out.push(order);
        continue;
      }
      const feeUsd = order.fee_cost! * valued;
      if (order.fee_rate_used === valued && order.fee_valued_usd === feeUsd) {
        out.push(order);
        continue;
      }
      out.push(
        await this.ctx.store.updateOrder(
          order.id,
          { fee_rate_used: valued, fee_valued_usd: feeUsd },
          this.ctx.clock.now(),
        ),
      );
    }
    return out;
  }

  async #rate(currency: string, symbol: string): Promise<number | null> {
    const pair = `${currency}/${symbol.split("/")[1]}`;
    const known = this.#rates.get(pair);
    if (known !== undefined) return known;
    const quoted = this.ctx.quotes.get(pair);
    let rate: number | null = quoted ? midPrice(quoted) : null;
    if (rate === null) {
      try {
        const quote = quoteFromBook((await this.ctx.client.fetchQuotes([pair]))[pair]);
        rate = quote && isUsableQuote(quote) ? midPrice(quote) : null;
      } catch (error) {
        if (!(error instanceof ExchangeLayerError) || error instanceof NeedsHumanError) throw error;
        note(this.ctx.summary, `fee in ${currency}: ${pair} quote: ${describeError(error)}`);
      }
    }
    if (rate === null) note(this.ctx.summary, `fee in ${currency} left unvalued (no ${pair} quote)`);
    this.#rates.set(pair, rate);
    return rate;
  }
}
