/**
 * What a burst reports: per venue and in total. Counters only; every figure is also in the tables.
 */
import type { ReconcileReport } from "../_shared/orders/reconcile.ts";
import type { TradingMode } from "../_shared/settings.ts";
import type { Venue } from "../_shared/exchange/venues.ts";

export type Counts = Record<string, number>;

/** What a burst's start found of the entry ids earlier bursts left armed (armed_entries.ts). */
export interface ArmedEntriesReport {
  checked: number;
  adopted: number;
  retired: number;
  left_armed: number;
}

export interface VenueSummary {
  venue: Venue;
  /** ran: traded its ticks; skipped: did not start (reason); error: stopped by an error (error). */
  status: "ran" | "skipped" | "error";
  skip_reason?: string;
  error?: string;
  /** `needs_human`: the venue refused our keys or permissions; the burst stopped at once and a person must act. */
  error_kind?: "needs_human";
  band?: string;
  ticks: number;
  quote_errors: number;
  signals: { evaluated: number; entries: number; skipped: Counts };
  /** Entries a signal wanted but risk or precision refused, by reason. */
  refusals: Counts;
  /** Final (or latest) status of every order this burst sent or touched. */
  orders_by_status: Counts;
  orders_sent: number;
  /** Order updates in which the filled amount grew. */
  fills: number;
  positions_opened: number;
  positions_closed: number;
  positions_failed: number;
  exits_by_reason: Counts;
  /** Protection lists on the venue: placed, replaced (resized or repaired), released (before an exit), refused. */
  protection?: Counts;
  realized_pnl: number;
  skipped_symbols: Record<string, string>;
  reconcile?: ReconcileReport;
  /** Entry ids earlier bursts left armed: adopted (sent before a crash), retired (never sent) or left for later. */
  armed?: ArmedEntriesReport;
  /** Positions the bot cannot close by itself this burst (exits refused repeatedly; still retried with backoff). */
  needs_attention: string[];
  /** Where quotes came from: the stream (while up) or REST polls, and what the stream went through. */
  market_data: MarketDataSummary;
  /** The private stream of our order updates (testnet / live with market_data = 'stream'; absent otherwise). */
  order_stream?: OrderStreamSummary;
  notes: string[];
  duration_ms: number;
}

export interface MarketDataSummary {
  source: "stream" | "poll";
  /** The book-top channel streamed (e.g. `depth5@100ms`, bot_settings.book_updates); null when polling. */
  channel: string | null;
  stream_reads: number;
  poll_reads: number;
  messages: number;
  /** tops equal to the symbol's last one (a conflated channel repeats an unchanged top), which decide nothing */
  repeats: number;
  garbage: number;
  drops: number;
  stalls: number;
  reconnects: number;
}

export interface OrderStreamSummary {
  /** updates received (duplicates included) and what applying them did */
  events: number;
  applied: number;
  unchanged: number;
  stale: number;
  gaps: number;
  unmatched: number;
  /** REST refreshes of the working orders after a subscription went live (the first one included) */
  reconciles: number;
  /** ticks that refreshed working orders over REST because the stream was not up */
  poll_refreshes: number;
  subscriptions: number;
  garbage: number;
  drops: number;
  stalls: number;
  reconnects: number;
  refused: number;
}

export function emptyOrderStreamSummary(): OrderStreamSummary {
  return {
    events: 0,
    applied: 0,
    unchanged: 0,
    stale: 0,
    gaps: 0,
    unmatched: 0,
    reconciles: 0,
    poll_refreshes: 0,
    subscriptions: 0,
    garbage: 0,
    drops: 0,
    stalls: 0,
    reconnects: 0,
    refused: 0,
  };
}

export interface BurstSummary {
  mode: TradingMode;
  duration_ms: number;
  requested_ms: number;
  venues: VenueSummary[];
  totals: {
    ticks: number;
    signals: number;
    entries: number;
    refusals: Counts;
    orders_by_status: Counts;
    orders_sent: number;
    fills: number;
    positions_opened: number;
    positions_closed: number;
    realized_pnl: number;
  };
  skipped_venues: { venue: Venue; reason: string }[];
}

export function emptyVenueSummary(venue: Venue): VenueSummary {
  return {
    venue,
    status: "ran",
    ticks: 0,
    quote_errors: 0,
    signals: { evaluated: 0, entries: 0, skipped: {} },
    refusals: {},
    orders_by_status: {},
    orders_sent: 0,
    fills: 0,
    positions_opened: 0,
    positions_closed: 0,
    positions_failed: 0,
    exits_by_reason: {},
    realized_pnl: 0,
    skipped_symbols: {},
    needs_attention: [],
    market_data: {
      source: "poll",
      channel: null,
      stream_reads: 0,
      poll_reads: 0,
      messages: 0,
      repeats: 0,
      garbage: 0,
      drops: 0,
      stalls: 0,
      reconnects: 0,
    },
    notes: [],
    duration_ms: 0,
  };
}

export function bump(counts: Counts, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

function mergeCounts(into: Counts, from: Counts): Counts {
  for (const [key, value] of Object.entries(from)) bump(into, key, value);
  return into;
}

/** Notes are capped so a noisy burst cannot blow up the summary column. */
export const MAX_NOTES = 50;

export function note(summary: VenueSummary, text: string): void {
  if (summary.notes.length < MAX_NOTES) summary.notes.push(text.slice(0, 300));
}

export function totalsOf(venues: readonly VenueSummary[]): BurstSummary["totals"] {
  const totals: BurstSummary["totals"] = {
    ticks: 0,
    signals: 0,
    entries: 0,
    refusals: {},
    orders_by_status: {},
    orders_sent: 0,
    fills: 0,
    positions_opened: 0,
    positions_closed: 0,
    realized_pnl: 0,
  };
  for (const v of venues) {
    totals.ticks += v.ticks;
    totals.signals += v.signals.evaluated;
    totals.entries += v.signals.entries;
    mergeCounts(totals.refusals, v.refusals);
    mergeCounts(totals.orders_by_status, v.orders_by_status);
    totals.orders_sent += v.orders_sent;
    totals.fills += v.fills;
    totals.positions_opened += v.positions_opened;
    totals.positions_closed += v.positions_closed;
    totals.realized_pnl += v.realized_pnl;
  }
  return totals;
}
