/**
 * Everything the web page shows, read through supabase-js only (PostgREST with the signed-in user's token), every
 * row validated with the terminal dashboard's schemas. A failed read throws ReadFailedError with the HTTP status, so
 * the page can say what to fix.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import {
  dailyStatsSchema,
  dustViewSchema,
  type HomeRegionView,
  homeRegionViewSchema,
  missingTable,
  NOT_FINAL_POSITION_STATUSES,
  orderViewSchema,
  PENDING_ORDER_STATUSES,
  type PositionOrderView,
  positionOrderViewSchema,
  positionViewSchema,
  type QuoteView,
  quoteViewSchema,
  runViewSchema,
  settingsViewSchema,
  tradeViewSchema,
  venueViewSchema,
} from "../../terminal/snapshot.ts";
import { ReadFailedError } from "../../shared/explain.ts";
import type { DustRow } from "../../shared/dust.ts";
import { allPages } from "../../shared/pages.ts";
import { utcDayStart } from "../../../supabase/functions/_shared/trading/risk.ts";

const num = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i).transform(Number)]);
const timestamp = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "must be a timestamp");

export const ROLES = ["viewer", "operator"] as const;
export type Role = (typeof ROLES)[number];

export const webSettingsSchema = settingsViewSchema.extend({
  drawdown_throttle_floor: num,
  drawdown_throttle_slope: num,
  take_profit_pct: num,
  stop_loss_pct: num,
  exit_protection: z.boolean(),
  updated_at: timestamp,
});
export type WebSettings = z.infer<typeof webSettingsSchema>;

export const webVenueSchema = venueViewSchema.extend({ balance_usdt_used: num.nullable() });
export type WebVenue = z.infer<typeof webVenueSchema>;

export const webPositionSchema = positionViewSchema.extend({ entry_fees_usd: num });
export type WebPosition = z.infer<typeof webPositionSchema>;

export const latencySampleSchema = z.object({
  venue: z.string(),
  latency_ms: num.nullable(),
  success: z.boolean(),
  ts: timestamp,
});
export type LatencySample = z.infer<typeof latencySampleSchema>;

export const exitOrderSchema = z.object({
  position_id: z.string().nullable(),
  venue: z.string(),
  symbol: z.string(),
  order_status: z.string(),
  last_error: z.string().nullable(),
  created_at: timestamp,
});

export const burstRunSchema = runViewSchema.extend({ summary: z.record(z.string(), z.unknown()).nullable() });
export type BurstRun = z.infer<typeof burstRunSchema>;

export const scheduleSchema = z.object({ name: z.string(), cron: z.string(), enabled: z.boolean() });
export type Schedule = z.infer<typeof scheduleSchema>;

export const auditSchema = z.object({
  user_id: z.string().nullable(),
  enabled: z.boolean(),
  previous: z.boolean().nullable(),
  at: timestamp,
});
export type AuditRow = z.infer<typeof auditSchema>;

export type TradeRow = z.infer<typeof tradeViewSchema>;
export type OrderRow = z.infer<typeof orderViewSchema>;
export type RunRow = z.infer<typeof runViewSchema>;

export interface WebSnapshot {
  takenAt: string;
  settings: WebSettings;
  venues: WebVenue[];
  latency: LatencySample[];
  openPositions: WebPosition[];
  workingOrders: OrderRow[];
  exitOrders: z.infer<typeof exitOrderSchema>[];
  /** Newest first, every trade of the last TRADE_DAYS (paged), at most TRADE_LIMIT. */
  trades: TradeRow[];
  /** True when TRADE_LIMIT stopped the trades read: the chart and per-symbol figures then miss older trades. */
  tradesCapped?: boolean;
  /** The day as the bot counts it (dashboard_daily_stats, aggregated in SQL). */
  daily: { since: string; entries: number; realizedPnl: number; closedPositions?: number; openPositions?: number };
  /** Dust held per venue and symbol in the current mode (dust_holdings). */
  dust?: DustRow[];
  runs: RunRow[];
  lastBurst: BurstRun | null;
  schedules: Schedule[];
  lastStartByFunction: Map<string, string>;
  /** Null when the project has no audit table readable by this user. */
  audit: AuditRow[] | null;
  /** Issue 18: where each venue's bursts run; empty before any regional measurement (or without the table). */
  homeRegions?: HomeRegionView[];
  /** Issue 16: the latest quote per venue, mode and symbol; empty without the table. */
  quotes: QuoteView[];
  /** Issue 16: every order of the open positions (fills for unrealized PnL, protection legs). */
  positionOrders: PositionOrderView[];
}

export const TRADE_DAYS = 30;
/** A bound on the paged trades read (250 entries a day for 30 days is 7 500). */
export const TRADE_LIMIT = 20_000;
/** A bound on the paged latency read of the last hour. */
export const LATENCY_LIMIT = 50_000;
export const LATENCY_WINDOW_MS = 3600_000;

interface Answer {
  data: unknown;
  error: { message: string; code?: string } | null;
  status: number;
}

function fail(what: string, answer: Answer): never {
  throw new ReadFailedError({
    what,
    status: answer.status,
    code: answer.error?.code || undefined,
    message: answer.error?.message ?? "no answer",
  });
}

function rows<T>(what: string, schema: z.ZodType<T>, answer: Answer): T[] {
  if (answer.error) fail(what, answer);
  const parsed = z.array(schema).safeParse(answer.data ?? []);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ReadFailedError({ what, status: answer.status, message: `unexpected rows: ${issues.join("; ")}` });
  }
  return parsed.data;
}

/**
 * Checks the project URL and the key before anything else, with the key alone (no user token): the anon role may not
 * read bot_settings, so a good key is answered 401/403 with Postgres' 42501 (permission denied), while a wrong key
 * gets 401 without it (PostgREST's JWT error, or the hosted gateway's "Invalid API key"). Returns the failure, or null.
 */
export async function probeProject(url: string, key: string, fetchImpl: typeof fetch = fetch) {
  const what = "the project (checking the key)";
  let response: Response;
  try {
    response = await fetchImpl(`${url}/rest/v1/bot_settings?select=id&limit=1`, { headers: { apikey: key } });
  } catch (error) {
    return { what, status: 0, message: error instanceof Error ? error.message : String(error) };
  }
  if (response.ok) return null;
  const text = await response.text();
  let body: { code?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: not PostgREST (a wrong URL that serves something else).
  }
  const code = typeof body.code === "string" ? body.code : undefined;
  if (code === "42501") return null;
  const message = typeof body.message === "string" ? body.message : text.slice(0, 200);
  return { what, status: response.status, code, message };
}

/** The signed-in user's role from public.member_role(); null for a non-member (or the anon key). */
export async function loadRole(client: SupabaseClient): Promise<Role | null> {
  const answer = await client.rpc("member_role");
  if (answer.error) fail("member_role()", answer);
  const parsed = z.enum(ROLES).nullable().safeParse(answer.data);
  if (!parsed.success) {
    throw new ReadFailedError({ what: "member_role()", status: answer.status, message: "unexpected role value" });
  }
  return parsed.data;
}

/** Operators only (the RPC checks); returns the new value. */
export async function setTradingEnabled(client: SupabaseClient, enabled: boolean): Promise<boolean> {
  const answer = await client.rpc("set_trading_enabled", { enabled });
  if (answer.error) fail("set_trading_enabled()", answer);
  return z.boolean().parse(answer.data);
}

const columns = (schema: z.ZodObject) => Object.keys(schema.shape).join(", ");

export async function loadWebSnapshot(client: SupabaseClient, now: Date): Promise<WebSnapshot> {
  const since = utcDayStart(now).toISOString();
  const tradesSince = new Date(now.getTime() - TRADE_DAYS * 86_400_000).toISOString();
  const latencySince = new Date(now.getTime() - LATENCY_WINDOW_MS).toISOString();
  const [
    settingsA,
    venuesA,
    latencyA,
    positionsA,
    ordersA,
    exitsA,
    tradesA,
    runsA,
    burstA,
    schedulesA,
    auditA,
    homesA,
    quotesA,
  ] = await Promise.all([
    client.from("bot_settings").select(columns(webSettingsSchema)).eq("id", 1),
    client.from("exchange_connections").select(columns(webVenueSchema)).order("exchange_name"),
    // Paged: an hour of samples passes PostgREST's 1000-row cap (issue 14); a cut answer ended the chart early.
    allPages((from, to) =>
      client.from("latency_logs").select(columns(latencySampleSchema)).gte("ts", latencySince)
        .order("ts", { ascending: true }).order("id", { ascending: true }).range(from, to), { maxRows: LATENCY_LIMIT }),
    client.from("positions").select(columns(webPositionSchema))
      .in("status", [...NOT_FINAL_POSITION_STATUSES]).order("opened_at", { ascending: false }).limit(100),
    client.from("orders").select(columns(orderViewSchema))
      .in("order_status", [...PENDING_ORDER_STATUSES]).order("created_at", { ascending: false }).limit(100),
    // Exit orders that failed, today: several for one position means its exits keep failing. Paged: every failure
    // counts.
    allPages((from, to) =>
      client.from("orders").select(columns(exitOrderSchema)).eq("purpose", "exit").gte("created_at", since)
        .or("order_status.eq.rejected,last_error.not.is.null").order("created_at", { ascending: true })
        .order("id", { ascending: true }).range(from, to)
    ),
    // Paged: the chart and per-symbol figures sum every trade of the window, not the first 1000.
    allPages((from, to) =>
      client.from("trade_logs")
        .select(
          "ts, venue, symbol, side, size_usd, entry_px, exit_px, pnl, dur_seconds, order_id, order_status, fees_usd, " +
            "position:positions(exit_reason)",
        )
        .gte("ts", tradesSince).order("ts", { ascending: false }).order("id", { ascending: false }).range(from, to), {
      maxRows: TRADE_LIMIT,
    }),
    client.from("function_runs").select(columns(runViewSchema)).order("started_at", { ascending: false }).limit(20),
    client.from("function_runs").select(columns(burstRunSchema)).eq("function_name", "trade-burst")
      .neq("outcome", "running").order("started_at", { ascending: false }).limit(1),
    client.from("function_schedules").select("name, cron, enabled").order("name"),
    client.from("trading_switch_audit").select("user_id, enabled, previous, at").order("at", { ascending: false })
      .limit(5),
    client.from("venue_home_regions").select(columns(homeRegionViewSchema)).order("venue"),
    client.from("market_quotes").select(columns(quoteViewSchema)),
  ]);

  const settings = rows("bot_settings", webSettingsSchema, settingsA)[0];
  if (!settings) {
    throw new ReadFailedError({ what: "bot_settings", status: settingsA.status, message: "no settings row visible" });
  }
  const schedules = rows("function_schedules", scheduleSchema, schedulesA);
  const openPositions = rows("positions", webPositionSchema, positionsA);

  const openIds = openPositions.map((p) => p.id);
  const [positionOrdersA, statsA, dustA, ...lastRunAnswers] = await Promise.all([
    // Every order of the open positions, paged: their fills value them at the bid, their legs are the protection.
    openIds.length === 0
      ? Promise.resolve({ data: [], error: null, status: 200, capped: false })
      : allPages((from, to) =>
        client.from("orders").select(columns(positionOrderViewSchema)).in("position_id", openIds)
          .order("created_at").order("id").range(from, to)
      ),
    // As the bot counts (daily_trade_stats), aggregated in SQL: one answer whatever the row cap (issue 14).
    client.rpc("dashboard_daily_stats", { p_mode: settings.mode, p_since: since }),
    client.rpc("dust_holdings", { p_mode: settings.mode }),
    ...schedules.map((job) =>
      client.from("function_runs").select("started_at").eq("function_name", job.name)
        .order("started_at", { ascending: false }).limit(1)
    ),
  ]);
  if (statsA.error) fail("dashboard_daily_stats()", statsA);
  const stats = dailyStatsSchema.safeParse(statsA.data);
  if (!stats.success) {
    throw new ReadFailedError({ what: "dashboard_daily_stats()", status: statsA.status, message: "unexpected answer" });
  }
  const dust = rows("dust_holdings()", dustViewSchema, dustA);
  const lastStartByFunction = new Map<string, string>();
  schedules.forEach((job, i) => {
    const [last] = rows("function_runs", z.object({ started_at: timestamp }), lastRunAnswers[i]);
    if (last) lastStartByFunction.set(job.name, last.started_at);
  });

  // The audit table comes with the members migration; a project without it still shows everything else.
  const audit = auditA.error && (auditA.error.code === "PGRST205" || auditA.error.code === "42P01")
    ? null
    : rows("trading_switch_audit", auditSchema, auditA);
  // Same for the home regions (issue 18's migration).
  const homeRegions = homesA.error && (homesA.error.code === "PGRST205" || homesA.error.code === "42P01")
    ? []
    : rows("venue_home_regions", homeRegionViewSchema, homesA);

  return {
    takenAt: now.toISOString(),
    settings,
    venues: rows("exchange_connections", webVenueSchema, venuesA),
    homeRegions,
    latency: rows("latency_logs", latencySampleSchema, latencyA),
    openPositions,
    quotes: missingTable(quotesA.error) ? [] : rows("market_quotes", quoteViewSchema, quotesA),
    positionOrders: rows("orders", positionOrderViewSchema, positionOrdersA),
    workingOrders: rows("orders", orderViewSchema, ordersA),
    exitOrders: rows("orders", exitOrderSchema, exitsA),
    trades: rows("trade_logs", tradeViewSchema, tradesA),
    tradesCapped: tradesA.capped,
    daily: {
      since,
      entries: stats.data.entries,
      realizedPnl: stats.data.realized_pnl,
      closedPositions: stats.data.closed_positions,
      openPositions: stats.data.open_positions,
    },
    dust,
    runs: rows("function_runs", runViewSchema, runsA),
    lastBurst: rows("function_runs", burstRunSchema, burstA)[0] ?? null,
    schedules,
    lastStartByFunction,
    audit,
  };
}
