/**
 * What the dashboard shows, read from the tables only, through supabase-js: works with the local stack or a hosted
 * project, with a signed-in user's key (reads are granted to `authenticated`) or the service role key. Every row is
 * validated, so a schema drift shows up as an error naming the table and field rather than as a blank screen.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import { allPages } from "../shared/pages.ts";
// The risk gate's day, so the dashboard's "today" is the bot's.
import { utcDayStart } from "../../supabase/functions/_shared/trading/risk.ts";
import { numeric } from "../../supabase/functions/_shared/numeric_text.ts";
import type { DustRow } from "../shared/dust.ts";

/** numeric columns arrive as JSON numbers, or as strings when PostgREST keeps full precision. */
const num = numeric(z.number());
const numOrNull = num.nullable();
const timestamp = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "must be a timestamp");

export const settingsViewSchema = z.object({
  mode: z.enum(["paper", "testnet", "live"]),
  trading_enabled: z.boolean(),
  live_trading_enabled: z.boolean(),
  max_trades_per_day: num,
  max_daily_loss_usd: num,
  max_open_positions: num,
  max_order_usd: num,
  /** Whether the bursts keep protection on the venue (absent in snapshots made before issue 16: the default, on). */
  exit_protection: z.boolean().optional(),
});
export type SettingsView = z.infer<typeof settingsViewSchema>;

export const venueViewSchema = z.object({
  exchange_name: z.string(),
  is_active: z.boolean(),
  balance_usdt: numOrNull,
  balance_usdt_free: numOrNull,
  balance_status: z.enum(["unknown", "ok", "stale", "error"]),
  balance_source: z.enum(["exchange", "paper"]).nullable(),
  last_balance_update: timestamp.nullable(),
  last_balance_attempt: timestamp.nullable(),
  last_error: z.string().nullable(),
  latency_last_ms: numOrNull,
  latency_avg_ms: numOrNull,
  latency_max_ms: numOrNull,
  latency_band: z.string().nullable(),
  latency_updated_at: timestamp.nullable(),
});
export type VenueView = z.infer<typeof venueViewSchema>;

/** venue_home_regions (issue 18): where each venue's bursts run, and why. */
export const homeRegionViewSchema = z.object({
  venue: z.string(),
  region: z.string(),
  source: z.enum(["measured", "override"]),
  median_ms: numOrNull,
  samples: num,
  reason: z.string(),
  chosen_at: timestamp,
});
export type HomeRegionView = z.infer<typeof homeRegionViewSchema>;

export const positionViewSchema = z.object({
  id: z.string(),
  venue: z.string(),
  symbol: z.string(),
  status: z.string(),
  mode: z.string(),
  entry_qty: num,
  entry_avg_px: numOrNull,
  opened_at: timestamp,
  /** The bot cannot close it by itself (exits refused repeatedly): a person should look (DEPLOY.md). */
  needs_attention: z.boolean().optional(),
});
export type PositionView = z.infer<typeof positionViewSchema>;

export const tradeViewSchema = z.object({
  ts: timestamp,
  venue: z.string(),
  symbol: z.string(),
  side: z.string(),
  size_usd: num,
  entry_px: num,
  exit_px: num,
  pnl: num,
  dur_seconds: num,
  order_id: z.string().nullable(),
  order_status: z.string().nullable(),
  fees_usd: numOrNull,
  /** Embedded through trade_logs.position_id → positions. */
  position: z.object({ exit_reason: z.string().nullable() }).nullable(),
});
export type TradeView = z.infer<typeof tradeViewSchema>;

export const orderViewSchema = z.object({
  client_order_id: z.string(),
  exchange_order_id: z.string().nullable(),
  venue: z.string(),
  symbol: z.string(),
  side: z.string(),
  type: z.string(),
  price: numOrNull,
  amount: num,
  filled: num,
  order_status: z.string(),
  purpose: z.string(),
  created_at: timestamp,
  last_error: z.string().nullable(),
});
export type OrderView = z.infer<typeof orderViewSchema>;

export const runViewSchema = z.object({
  function_name: z.string(),
  venue: z.string().nullable(),
  started_at: timestamp,
  finished_at: timestamp.nullable(),
  outcome: z.string(),
  duration_ms: numOrNull,
  error: z.string().nullable(),
});
export type RunView = z.infer<typeof runViewSchema>;

/** market_quotes (issue 16): the latest bid/ask a burst read, per venue, mode and symbol. */
export const quoteViewSchema = z.object({
  venue: z.string(),
  mode: z.string(),
  symbol: z.string(),
  bid: num,
  ask: num,
  ts: timestamp,
  source: z.string(),
});
export type QuoteView = z.infer<typeof quoteViewSchema>;

/** Every order of an open position: its fills value the position, its protection legs say how it is protected. */
export const positionOrderViewSchema = z.object({
  position_id: z.string().nullable(),
  symbol: z.string(),
  purpose: z.string(),
  order_status: z.string(),
  type: z.string(),
  price: numOrNull,
  trigger_price: numOrNull,
  amount: num,
  filled: num,
  average: numOrNull,
  /** Null until something filled (the column has no default): nothing spent yet. */
  cost: numOrNull.transform((value) => value ?? 0),
  fee_cost: numOrNull,
  fee_currency: z.string().nullable(),
  fee_rate_used: numOrNull,
  created_at: timestamp,
});
export type PositionOrderView = z.infer<typeof positionOrderViewSchema>;

/** A read of a table a later migration adds: a project that has not pushed it yet shows everything else. */
export function missingTable(error: { code?: string } | null): boolean {
  return error !== null && (error.code === "PGRST205" || error.code === "42P01");
}
/** public.dust_holdings(mode): the dust each venue holds, per symbol (aggregated in SQL). */
export const dustViewSchema = z.object({
  venue: z.string(),
  symbol: z.string(),
  positions: num,
  dust_qty: num,
  dust_cost_usd: num,
  valued_qty: num,
  dust_value_usd: num,
  unvalued_positions: num,
  unvalued_qty: num,
  last_px: numOrNull,
  last_priced_at: timestamp.nullable(),
  unassessed_positions: num,
}) satisfies z.ZodType<DustRow>;

/** public.dashboard_daily_stats(mode, since): the day as the bot counts it, aggregated in SQL (no row cap). */
export const dailyStatsSchema = z.object({
  entries: num,
  realized_pnl: num,
  open_positions: num,
  closed_positions: num,
});

export interface DailyView {
  /** 00:00 UTC of the snapshot's day: the risk limits count from here. */
  since: string;
  /** Entries sent since then in the current mode (as the bot counts them: every entry the venue did not refuse). */
  entries: number;
  /** Realized PnL of positions closed since then in the current mode. */
  realizedPnl: number;
  /** Positions closed since then (absent in snapshots made before issue 14's aggregates). */
  closedPositions?: number;
  /** Active positions of the mode over every venue, counted in SQL (the list below may be cut at rowLimit). */
  openPositions?: number;
}

export interface DashboardSnapshot {
  takenAt: string;
  /** Null when the settings row cannot be read (then limits are unknown). */
  settings: SettingsView | null;
  venues: VenueView[];
  /** Home region per venue (issue 18); absent in snapshots made before it. */
  homeRegions?: HomeRegionView[];
  daily: DailyView | null;
  openPositions: PositionView[];
  recentTrades: TradeView[];
  pendingOrders: OrderView[];
  recentRuns: RunView[];
  /** Latest quotes (issue 16); absent in snapshots made before it. */
  quotes?: QuoteView[];
  /** Orders of the open positions (issue 16): fills for unrealized PnL, protection legs. */
  positionOrders?: PositionOrderView[];
  /** Dust held per venue and symbol in the current mode (absent in snapshots made before it). */
  dust?: DustRow[];
}

export class SnapshotError extends Error {
  constructor(readonly table: string, detail: string) {
    super(`cannot read ${table}: ${detail}`);
    this.name = "SnapshotError";
  }
}

export const NOT_FINAL_POSITION_STATUSES = ["opening", "open", "closing"] as const;
export const PENDING_ORDER_STATUSES = ["pending_submit", "open", "partially_filled", "unknown"] as const;

export interface SnapshotOptions {
  /** Default: the current time. */
  now?: Date;
  /** Recent trades to show. Default 10. */
  tradeLimit?: number;
  /** Recent function runs to show. Default 10. */
  runLimit?: number;
  /** Pending orders and open positions to show at most. Default 20. */
  rowLimit?: number;
}

interface QueryAnswer {
  data: unknown;
  error: { message: string; code?: string } | null;
}

function rows<T>(table: string, schema: z.ZodType<T>, answer: QueryAnswer): T[] {
  if (answer.error) {
    const code = answer.error.code ? `${answer.error.code}: ` : "";
    throw new SnapshotError(table, `${code}${answer.error.message}`);
  }
  const parsed = z.array(schema).safeParse(answer.data ?? []);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new SnapshotError(table, issues.join("; "));
  }
  return parsed.data;
}

/** One RPC answer (a single value), or SnapshotError naming it. */
function value<T>(what: string, schema: z.ZodType<T>, answer: QueryAnswer): T {
  if (answer.error) {
    const code = answer.error.code ? `${answer.error.code}: ` : "";
    throw new SnapshotError(what, `${code}${answer.error.message}`);
  }
  const parsed = schema.safeParse(answer.data);
  if (!parsed.success) {
    throw new SnapshotError(what, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return parsed.data;
}

async function loadDaily(client: SupabaseClient, mode: string, now: Date): Promise<DailyView> {
  const since = utcDayStart(now).toISOString();
  // As the bot counts (daily_trade_stats), aggregated in SQL: one answer whatever the row cap (issue 14).
  const stats = value(
    "dashboard_daily_stats()",
    dailyStatsSchema,
    await client.rpc("dashboard_daily_stats", { p_mode: mode, p_since: since }),
  );
  return {
    since,
    entries: stats.entries,
    realizedPnl: stats.realized_pnl,
    closedPositions: stats.closed_positions,
    openPositions: stats.open_positions,
  };
}

/** Every order of the given positions (protection legs and fills), oldest first. */
export async function loadPositionOrders(client: SupabaseClient, ids: readonly string[]): Promise<PositionOrderView[]> {
  if (ids.length === 0) return [];
  return rows(
    "orders",
    positionOrderViewSchema,
    await allPages((from, to) =>
      client.from("orders").select(Object.keys(positionOrderViewSchema.shape).join(", "))
        .in("position_id", [...ids]).order("created_at").order("id").range(from, to)
    ),
  );
}

async function loadDust(client: SupabaseClient, mode: string): Promise<DustRow[]> {
  return rows("dust_holdings()", dustViewSchema, await client.rpc("dust_holdings", { p_mode: mode }));
}

/** Reads everything the dashboard shows, in parallel. Throws SnapshotError naming the table that failed. */
export async function loadSnapshot(client: SupabaseClient, options: SnapshotOptions = {}): Promise<DashboardSnapshot> {
  const now = options.now ?? new Date();
  const tradeLimit = options.tradeLimit ?? 10;
  const runLimit = options.runLimit ?? 10;
  const rowLimit = options.rowLimit ?? 20;

  const [
    settingsAnswer,
    venuesAnswer,
    positionsAnswer,
    tradesAnswer,
    ordersAnswer,
    runsAnswer,
    homesAnswer,
    quotesAnswer,
  ] = await Promise.all([
    client.from("bot_settings").select(Object.keys(settingsViewSchema.shape).join(", ")).eq("id", 1),
    client.from("exchange_connections").select(Object.keys(venueViewSchema.shape).join(", ")).order("exchange_name"),
    client.from("positions").select(Object.keys(positionViewSchema.shape).join(", "))
      .in("status", [...NOT_FINAL_POSITION_STATUSES]).order("opened_at", { ascending: false }).limit(rowLimit),
    client.from("trade_logs")
      .select(
        "ts, venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds, order_id, order_status, fees_usd, " +
          "position:positions(exit_reason)",
      )
      .order("ts", { ascending: false }).limit(tradeLimit),
    client.from("orders").select(Object.keys(orderViewSchema.shape).join(", "))
      .in("order_status", [...PENDING_ORDER_STATUSES]).order("created_at", { ascending: false }).limit(rowLimit),
    client.from("function_runs").select(Object.keys(runViewSchema.shape).join(", "))
      .order("started_at", { ascending: false }).limit(runLimit),
    client.from("venue_home_regions").select(Object.keys(homeRegionViewSchema.shape).join(", ")).order("venue"),
    client.from("market_quotes").select(Object.keys(quoteViewSchema.shape).join(", ")),
  ]);

  const settings = rows("bot_settings", settingsViewSchema, settingsAnswer)[0] ?? null;
  const openPositions = rows("positions", positionViewSchema, positionsAnswer);
  const [daily, dust] = settings
    ? await Promise.all([loadDaily(client, settings.mode, now), loadDust(client, settings.mode)])
    : [null, []];
  return {
    takenAt: now.toISOString(),
    settings,
    venues: rows("exchange_connections", venueViewSchema, venuesAnswer),
    homeRegions: rows("venue_home_regions", homeRegionViewSchema, homesAnswer),
    openPositions,
    quotes: missingTable(quotesAnswer.error) ? [] : rows("market_quotes", quoteViewSchema, quotesAnswer),
    positionOrders: await loadPositionOrders(client, openPositions.map((p) => p.id)),
    daily,
    dust,
    recentTrades: rows("trade_logs", tradeViewSchema, tradesAnswer),
    pendingOrders: rows("orders", orderViewSchema, ordersAnswer),
    recentRuns: rows("function_runs", runViewSchema, runsAnswer),
  };
}
