/** What one venue's burst works with: passed in by run_burst.ts, shared by VenueBurst and the parts it holds. */
import type { Clock } from "../_shared/clock.ts";
import type { Deadline } from "../_shared/exchange/retry.ts";
import type { VenueClient } from "../_shared/exchange/venue_client.ts";
import type { Venue } from "../_shared/exchange/venues.ts";
import type { QuoteStream } from "../_shared/market_data/quote_stream.ts";
import type { OrderStream } from "../_shared/order_stream/order_stream.ts";
import type { OrderExecutor } from "../_shared/orders/executor.ts";
import type { ArmedOrderStore } from "../_shared/orders/pre_armed.ts";
import type { TradeStore } from "../_shared/orders/store.ts";
import type { Quote } from "../_shared/trading/quote.ts";
import type { BurstSettings } from "./burst_settings.ts";
import type { DailyTally } from "./daily_tally.ts";
import type { BurstMarket } from "./markets.ts";
import type { QuoteObserver } from "./quote_recorder.ts";
import type { VenueSummary } from "./summary.ts";

export interface VenueBurstContext {
  venue: Venue;
  /** The tables; a LeasedVenueStore in production, so ticks read the venue's state from memory. */
  store: TradeStore;
  client: VenueClient;
  executor: OrderExecutor;
  markets: ReadonlyMap<string, BurstMarket>;
  /** Symbols to trade this burst (already filtered to what the venue lists). */
  symbols: readonly string[];
  /**
   * Symbols to quote: `symbols` plus every symbol the venue holds an active position in, whatever the settings or the
   * request say now (a position is managed until it is closed). Defaults to `symbols`.
   */
  managedSymbols?: readonly string[];
  /** Shared with the paper executor, which fills against it. */
  quotes: Map<string, Quote>;
  clock: Clock;
  settings: BurstSettings;
  /** Today's entries and realized PnL, shared by the burst's venues. */
  daily: DailyTally;
  summary: VenueSummary;
  notFoundGraceMs?: number;
  /** The burst's budget: no new order is recorded or sent after it (the next burst carries on). */
  deadline?: Deadline;
  /** Where entry ids are armed before the quote; without it every entry is recorded before its send. */
  armedStore?: ArmedOrderStore;
  /** The venue's book-top stream, when market_data = 'stream' (QuoteFeed falls back to polling while it is down). */
  stream?: QuoteStream;
  /** Keeps a copy of each tick's quotes for market_quotes (written between ticks by run_burst.ts, never in a tick). */
  quoteRecorder?: QuoteObserver;
  /** The venue's private stream of our order updates (testnet / live, market_data = 'stream'): see order_feed.ts. */
  orderStream?: OrderStream;
}
