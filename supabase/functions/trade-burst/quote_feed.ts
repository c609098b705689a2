/**
 * A venue's quotes for the burst: the stream's latest tops while it is up, otherwise one request for every symbol per
 * tick; kept in the map the paper executor fills against, and each usable mid pushed into its momentum buffer.
 */
import { describeError } from "../_shared/describe_error.ts";
import { ExchangeLayerError, NeedsHumanError } from "../_shared/exchange/errors.ts";
import type { VenueClient } from "../_shared/exchange/venue_client.ts";
import { isUsableQuote, midPrice, type Quote, quoteFromBook } from "../_shared/trading/quote.ts";
import { MomentumBuffers, momentumKey } from "../_shared/trading/signal.ts";
import { note, type VenueSummary } from "./summary.ts";
import type { Venue } from "../_shared/exchange/venues.ts";
import type { QuoteStream } from "../_shared/market_data/quote_stream.ts";
import type { Clock } from "../_shared/clock.ts";
import type { QuoteObserver } from "./quote_recorder.ts";

/**
 * Streaming: a symbol's momentum buffer takes a new sample at most this often. Decisions run on every top, but the
 * buffer keeps the cadence a tick gave it (a window counts samples, and a busy symbol pushes tens of tops a second);
 * a top within a sample's slot replaces that sample, so the newest sample is always the latest mid and a decision on a
 * pushed top sees it (skipped, the move would wait for the next slot's read to count).
 */
export const STREAM_MOMENTUM_SAMPLE_MS = 100;

export class QuoteFeed {
  readonly #momentum = new MomentumBuffers();
  /** Streaming: when each symbol's mid last entered its buffer (monotonic ms). */
  readonly #sampledAt = new Map<string, number>();

  constructor(
    private readonly ctx: {
      venue: Venue;
      client: VenueClient;
      symbols: readonly string[];
      /** Shared with the paper executor, which fills against it. */
      quotes: Map<string, Quote>;
      summary: VenueSummary;
      /** The venue's book-top stream (market_data = 'stream'); while it is down, quotes are polled. */
      stream?: QuoteStream;
      clock: Clock;
      /** Gets a copy of each read's quotes in memory (for market_quotes); it writes them between ticks. */
      quoteRecorder?: QuoteObserver;
    },
  ) {}

  /** The symbol's momentum buffer (mids of this burst's usable quotes). */
  momentum(symbol: string): readonly number[] {
    return this.#momentum.get(momentumKey(this.ctx.venue, symbol));
  }

  /** Empties every symbol's momentum buffer: its samples came at another cadence than the decisions now need. */
  restartMomentum(): void {
    this.#momentum.clear();
    this.#sampledAt.clear();
  }

  /**
   * Reads every symbol's quote. Returns the symbols whose quote may have moved since the last read (polled: all of
   * them; streamed: those the stream pushed a top for), or null when they could not be read (counted; the tick ends
   * and the next one tries again); NeedsHumanError and anything that is not an exchange error propagate.
   */
  async read(momentumWindow: number): Promise<ReadonlySet<string> | null> {
    const { ctx } = this;
    try {
      const streamed = ctx.stream?.tops();
      if (streamed) ctx.summary.market_data.stream_reads += 1;
      else ctx.summary.market_data.poll_reads += 1;
      const changed = streamed ? ctx.stream!.takeChanged() : new Set(ctx.symbols);
      const fresh = streamed ? undefined : await ctx.client.fetchQuotes(ctx.symbols);
      const now = ctx.clock.monotonicMs();
      for (const symbol of ctx.symbols) {
        const quote = streamed ? streamed.get(symbol) ?? null : quoteFromBook(fresh?.[symbol]);
        if (quote && isUsableQuote(quote)) {
          ctx.quotes.set(symbol, quote);
          const key = momentumKey(ctx.venue, symbol);
          if (
            !streamed || now - (this.#sampledAt.get(symbol) ?? Number.NEGATIVE_INFINITY) >= STREAM_MOMENTUM_SAMPLE_MS
          ) {
            this.#sampledAt.set(symbol, now);
            this.#momentum.observe(key, midPrice(quote), momentumWindow);
          } else if (changed.has(symbol)) {
            this.#momentum.amendLast(key, midPrice(quote), momentumWindow);
          }
        } else {
          ctx.quotes.delete(symbol);
        }
      }
      ctx.quoteRecorder?.observe(ctx.quotes, streamed ? "stream" : "poll", ctx.clock.now());
      return changed;
    } catch (error) {
      if (!(error instanceof ExchangeLayerError) || error instanceof NeedsHumanError) throw error;
      ctx.summary.quote_errors += 1;
      note(ctx.summary, `quotes: ${describeError(error)}`);
      ctx.quotes.clear();
      return null;
    }
  }
}
