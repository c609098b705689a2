/**
 * The latest quotes a burst saw, written to `market_quotes` for the dashboards (they value open positions at the
 * bid). Off the hot path: QuoteFeed only copies this tick's quotes into memory (`observe`, no I/O); the write is one
 * batched upsert between ticks, at most every `intervalMs`, and one more when the burst ends. A failed write is noted
 * in the summary and never stops trading: these rows are for people, the burst trades on its own quotes.
 */
import type { Clock } from "../_shared/clock.ts";
import type { Db } from "../_shared/db.ts";
import { describeError } from "../_shared/describe_error.ts";
import type { Venue } from "../_shared/exchange/venues.ts";
import type { TradingMode } from "../_shared/settings.ts";
import type { Quote } from "../_shared/trading/quote.ts";
import { note, type VenueSummary } from "./summary.ts";

/** How often a burst writes its quotes at most: fresh enough for a dashboard, one request per venue every 5 s. */
export const QUOTE_WRITE_INTERVAL_MS = 5_000;

export type QuoteSource = "stream" | "poll";

/** One market_quotes row. */
export interface QuoteRow {
  venue: Venue;
  mode: TradingMode;
  symbol: string;
  bid: number;
  ask: number;
  /** When the burst read the quote (ISO). */
  ts: string;
  source: QuoteSource;
}

/** Writes rows, all at once. */
export type QuoteSink = (rows: readonly QuoteRow[]) => Promise<void>;

/** What QuoteFeed calls after each read: an in-memory copy, nothing else. */
export interface QuoteObserver {
  observe(quotes: ReadonlyMap<string, Quote>, source: QuoteSource, at: Date): void;
}

/** The sink of the deployed function: one PostgREST upsert on (venue, mode, symbol). */
export function marketQuotesSink(db: Db): QuoteSink {
  return async (rows) => {
    if (rows.length === 0) return;
    const { error } = await db.from("market_quotes").upsert([...rows], { onConflict: "venue,mode,symbol" });
    if (error) throw new Error(`market_quotes upsert: ${error.message}`);
  };
}

export interface QuoteRecorderOptions {
  venue: Venue;
  mode: TradingMode;
  sink: QuoteSink;
  clock: Clock;
  summary: VenueSummary;
  /** @default QUOTE_WRITE_INTERVAL_MS */
  intervalMs?: number;
}

/** A quote waiting for the next write, as it was read (rows are built only when written). */
interface PendingQuote {
  bid: number;
  ask: number;
  at: Date;
  source: QuoteSource;
}

export class QuoteRecorder implements QuoteObserver {
  /** Per symbol, the newest quote not yet written. */
  readonly #pending = new Map<string, PendingQuote>();
  #lastWriteMs: number | null = null;
  #failures = 0;
  /** Rows written this burst (for tests and the summary's note). */
  written = 0;

  constructor(private readonly options: QuoteRecorderOptions) {}

  /** Called on every read (streamed: every round), so it only keeps the newest per symbol. */
  observe(quotes: ReadonlyMap<string, Quote>, source: QuoteSource, at: Date): void {
    for (const [symbol, quote] of quotes) this.#pending.set(symbol, { bid: quote.bid, ask: quote.ask, at, source });
  }

  /** Between ticks: writes what is pending if the last write is at least `intervalMs` old (or there was none). */
  async betweenTicks(): Promise<void> {
    const interval = this.options.intervalMs ?? QUOTE_WRITE_INTERVAL_MS;
    const now = this.options.clock.monotonicMs();
    if (this.#lastWriteMs !== null && now - this.#lastWriteMs < interval) return;
    await this.flush();
  }

  /** Writes everything pending now (burst end). Never throws. */
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const { venue, mode } = this.options;
    const rows: QuoteRow[] = [...this.#pending].map(([symbol, { bid, ask, at, source }]) => ({
      venue,
      mode,
      symbol,
      bid,
      ask,
      ts: at.toISOString(),
      source,
    }));
    this.#pending.clear();
    this.#lastWriteMs = this.options.clock.monotonicMs();
    try {
      await this.options.sink(rows);
      this.written += rows.length;
    } catch (error) {
      // Once per burst in the notes; a dashboard shows the quotes' age, so a missed write is visible there too.
      this.#failures += 1;
      if (this.#failures === 1) note(this.options.summary, `quotes not recorded: ${describeError(error)}`);
    }
  }
}
