/**
 * The terminal dashboard (the legacy `render_ui`, reborn over the tables): a pure function of a snapshot and the
 * time, so it is tested on fixed data and shows the same thing for a local stack or a hosted project.
 */

import { age, clip, clockTime, type Column, fixed, ms, signed, table } from "./format.ts";
import type { DashboardSnapshot, HomeRegionView, PositionView, VenueView } from "./snapshot.ts";
import { type MarkedPosition, markPosition, protectionLabel } from "../shared/open_positions.ts";
import { balanceWithDust, dustByVenue, dustText } from "../shared/dust.ts";

export interface RenderOptions {
  /** A balance or latency reading older than this is called out. Default 15 minutes (three balance syncs). */
  staleAfterMs?: number;
  /** Width of the rules between sections. Default 100. */
  width?: number;
}

export const DEFAULT_STALE_AFTER_MS = 15 * 60_000;

/** Prices keep the digits that matter at their size (BTC ≈ 60000.00, a small coin ≈ 0.0012345). */
export function price(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  const size = Math.abs(value);
  if (size >= 100) return value.toFixed(2);
  if (size >= 1) return value.toFixed(4);
  return value.toPrecision(5);
}

/** Quantities without trailing zeros, at most 8 decimals. */
export function quantity(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "-";
  return value.toFixed(8).replace(/\.?0+$/, "");
}

function olderThan(iso: string | null, now: Date, limitMs: number): boolean {
  return iso === null || now.getTime() - Date.parse(iso) > limitMs;
}

/** Where each venue's bursts run (issue 18) and why; the band above is measured from that region. */
function homeRegionRows(homes: readonly HomeRegionView[], now: Date): string[][] {
  return homes.map((home) => [
    home.venue,
    home.region,
    home.source === "override" ? "set in settings" : "measured",
    ms(home.median_ms),
    String(home.samples),
    age(home.chosen_at, now),
    home.reason,
  ]);
}

const HOME_REGION_COLUMNS: Column[] = [
  { header: "VENUE" },
  { header: "HOME REGION" },
  { header: "SOURCE" },
  { header: "MEDIAN", align: "right" },
  { header: "SAMPLES", align: "right" },
  { header: "SINCE", align: "right" },
  { header: "WHY", max: 70 },
];

function venueRows(venues: readonly VenueView[], now: Date): string[][] {
  return venues.map((venue) => [
    venue.is_active ? venue.exchange_name : `${venue.exchange_name} (off)`,
    ms(venue.latency_last_ms),
    ms(venue.latency_avg_ms),
    ms(venue.latency_max_ms),
    venue.latency_band ?? "-",
    fixed(venue.balance_usdt),
    fixed(venue.balance_usdt_free),
    venue.balance_source ?? "-",
    venue.balance_status === "ok" ? "ok" : venue.balance_status.toUpperCase(),
    age(venue.last_balance_update, now),
    venue.last_error ?? "",
  ]);
}

const VENUE_COLUMNS: Column[] = [
  { header: "VENUE" },
  { header: "LAST", align: "right" },
  { header: "AVG", align: "right" },
  { header: "MAX", align: "right" },
  { header: "BAND" },
  { header: "BALANCE USDT", align: "right" },
  { header: "FREE", align: "right" },
  { header: "SOURCE" },
  { header: "STATUS" },
  { header: "UPDATED", align: "right" },
  { header: "LAST ERROR", max: 50 },
];

/** Each open position with its bid, unrealized PnL and protection (dashboard/shared/open_positions.ts). */
function marked(snapshot: DashboardSnapshot, now: Date): { position: PositionView; mark: MarkedPosition }[] {
  const context = {
    orders: snapshot.positionOrders ?? [],
    quotes: snapshot.quotes ?? [],
    exitProtection: snapshot.settings?.exit_protection ?? true,
    now,
  };
  return snapshot.openPositions.map((position) => ({ position, mark: markPosition(position, context) }));
}

/** "protected TP 3006.00 / stop 2994.00", "stop loss MISSING TP 3006.00", "bot-managed exits". */
function protectionCell(mark: MarkedPosition): string {
  const { takeProfit, stopLoss } = mark.protection;
  const legs = [
    takeProfit.price !== null ? `TP ${price(takeProfit.price)}` : "",
    stopLoss.trigger !== null ? `stop ${price(stopLoss.trigger)}` : "",
  ].filter(Boolean).join(" / ");
  return [protectionLabel(mark.protection), legs].filter(Boolean).join(" ");
}

function positionRows(snapshot: DashboardSnapshot, now: Date): string[][] {
  return marked(snapshot, now).map(({ position: p, mark }) => {
    const quote = mark.quote;
    const upnl = mark.unrealized ? signed(mark.unrealized.pnl) : "-";
    return [
      `${age(p.opened_at, now)} ago`,
      p.venue,
      p.symbol,
      p.needs_attention ? `${p.status} NEEDS A PERSON` : p.status,
      quantity(p.entry_qty),
      price(p.entry_avg_px),
      quote ? price(quote.bid) : "no quote",
      quote ? `${age(quote.ts, now)}${quote.stale ? " STALE" : ""}` : "-",
      // A stale bid is not today's price: its PnL is not shown as if it were.
      quote?.stale ? "(stale)" : upnl,
      protectionCell(mark),
      p.mode,
    ];
  });
}

/**
 * One line per venue that holds dust: what, at which recorded price, and the venue's USDT plus its dust at market
 * (unknown while some dust is unvalued). Nothing when no venue holds dust.
 */
function dustLines(snapshot: DashboardSnapshot): string[] {
  const byVenue = dustByVenue(snapshot.dust ?? []);
  const fmt = { qty: quantity, usd: (n: number) => fixed(n) };
  return [...byVenue.values()].map((dust) => {
    const balance = snapshot.venues.find((v) => v.exchange_name === dust.venue)?.balance_usdt ?? null;
    const total = balanceWithDust(balance, dust);
    return `dust ${dust.venue}: ${dust.symbols.map((row) => dustText(row, fmt)).join("; ")} | ` +
      `USDT + dust at market: ${total === null ? "unknown (some dust unvalued or not assessed)" : fixed(total)}`;
  });
}

function attention(snapshot: DashboardSnapshot, now: Date, staleAfterMs: number): string[] {
  const notes: string[] = [];
  const { settings, daily } = snapshot;
  if (!settings) {
    notes.push("bot_settings row is missing or unreadable: limits and mode unknown");
  } else {
    if (!settings.trading_enabled) {
      notes.push("trading is stopped (bot_settings.trading_enabled = false): no new entries");
    }
    if (settings.mode === "live") {
      notes.push(
        settings.live_trading_enabled
          ? "LIVE mode: real money (orders go out only if ALLOW_LIVE_TRADING=true is set for the functions too)"
          : "live mode selected but bot_settings.live_trading_enabled is false: no live orders",
      );
    }
    if (daily && daily.realizedPnl <= -settings.max_daily_loss_usd) {
      notes.push(`daily loss limit reached (${signed(daily.realizedPnl)} <= -${fixed(settings.max_daily_loss_usd)})`);
    }
    if (daily && daily.entries >= settings.max_trades_per_day) {
      notes.push(`daily trade cap reached (${daily.entries}/${settings.max_trades_per_day})`);
    }
  }
  for (const venue of snapshot.venues.filter((v) => v.is_active)) {
    const name = venue.exchange_name;
    if (venue.balance_status !== "ok") {
      const detail = venue.last_error ? `: ${clip(venue.last_error, 120)}` : "";
      const lastGood = venue.last_balance_update
        ? `last good sync ${age(venue.last_balance_update, now)} ago`
        : "never synced";
      notes.push(`${name} balance ${venue.balance_status.toUpperCase()} (${lastGood})${detail}`);
    } else if (olderThan(venue.last_balance_update, now, staleAfterMs)) {
      notes.push(`${name} balance last updated ${age(venue.last_balance_update, now)} ago: is balance-sync running?`);
    }
    if (olderThan(venue.latency_updated_at, now, staleAfterMs)) {
      notes.push(
        venue.latency_updated_at === null
          ? `${name} latency never sampled: is latency-sample running?`
          : `${name} latency last sampled ${age(venue.latency_updated_at, now)} ago: is latency-sample running?`,
      );
    }
  }
  for (const { position, mark } of marked(snapshot, now)) {
    const where = `${position.venue} ${position.symbol}`;
    if (["missing", "incomplete"].includes(mark.protection.state)) {
      notes.push(`${where}: ${protectionLabel(mark.protection)} (the next burst of ${position.venue} repairs it)`);
    }
    if (!mark.quote) notes.push(`${where}: no quote recorded yet, so no current bid or unrealized PnL`);
    else if (mark.quote.stale) {
      notes.push(`${where}: quote is ${age(mark.quote.ts, now)} old (stale): is trade-burst running?`);
    }
  }
  for (const order of snapshot.pendingOrders.filter((o) => o.order_status === "unknown")) {
    notes.push(`order ${order.client_order_id} on ${order.venue} has status UNKNOWN: waiting for reconciliation`);
  }
  for (const run of snapshot.recentRuns.filter((r) => r.outcome === "error" || r.outcome === "abandoned")) {
    const where = run.venue ? ` ${run.venue}` : "";
    notes.push(
      `${run.function_name}${where} ${run.outcome} ${age(run.started_at, now)} ago: ${clip(run.error ?? "", 120)}`,
    );
  }
  return notes;
}

const UPNL_NOTE = "  UPNL: the position sold at the bid now, net of the entry fees paid and an estimated exit fee " +
  "(the venue's base taker rate); a quote older than 2 minutes is STALE and its PnL is not shown";

function withNote(lines: string[], notes: string[]): string[] {
  return [...lines, ...notes];
}

function section(title: string, lines: string[], width: number): string[] {
  return ["-".repeat(width), title, ...(lines.length > 1 ? lines : [...lines, "  (none)"])];
}

export function render(snapshot: DashboardSnapshot, now: Date, options: RenderOptions = {}): string {
  const width = options.width ?? 100;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const { settings, daily } = snapshot;
  const out: string[] = [];

  const stamp = now.toISOString().slice(0, 19).replace("T", " ");
  const modeText = settings
    ? `mode ${settings.mode} | trading ${settings.trading_enabled ? "ON" : "STOPPED"} | live opt-in ${
      settings.live_trading_enabled ? "on" : "off"
    }`
    : "settings unknown";
  out.push(`Latency-adaptive scalper — ${stamp} UTC | ${modeText}`);

  out.push("-".repeat(width));
  out.push(...(snapshot.venues.length > 0 ? table(VENUE_COLUMNS, venueRows(snapshot.venues, now)) : ["no venues"]));
  // Only once a home region exists: a project without regional calls looks as before.
  if (snapshot.homeRegions && snapshot.homeRegions.length > 0) {
    out.push(...table(HOME_REGION_COLUMNS, homeRegionRows(snapshot.homeRegions, now)));
  }
  out.push(...dustLines(snapshot));

  out.push("-".repeat(width));
  if (settings && daily) {
    out.push(
      `Daily PnL: ${signed(daily.realizedPnl)} USDT (max loss ${fixed(settings.max_daily_loss_usd)}) | ` +
        `Trades: ${daily.entries}/${settings.max_trades_per_day} | ` +
        `Open positions: ${daily.openPositions ?? snapshot.openPositions.length}/${settings.max_open_positions} | ` +
        `since ${daily.since.slice(0, 10)} 00:00 UTC`,
    );
  } else {
    out.push(`Daily PnL: unknown | Open positions: ${snapshot.openPositions.length}`);
  }

  out.push(...section(
    "OPEN POSITIONS",
    withNote(
      table(
        [
          { header: "OPENED", align: "right" },
          { header: "VENUE" },
          { header: "SYMBOL" },
          { header: "STATUS" },
          { header: "QTY", align: "right" },
          { header: "ENTRY", align: "right" },
          { header: "BID", align: "right" },
          { header: "QUOTE AGE", align: "right" },
          { header: "UPNL", align: "right" },
          { header: "PROTECTION", max: 48 },
          { header: "MODE" },
        ],
        positionRows(snapshot, now),
      ),
      snapshot.openPositions.length > 0 ? [UPNL_NOTE] : [],
    ),
    width,
  ));

  out.push(...section(
    "RECENT TRADES",
    table(
      [
        { header: "TIME" },
        { header: "VENUE" },
        { header: "SYMBOL" },
        { header: "SIDE" },
        { header: "SIZE USD", align: "right" },
        { header: "ENTRY", align: "right" },
        { header: "EXIT", align: "right" },
        { header: "PNL", align: "right" },
        { header: "FEES", align: "right" },
        { header: "DUR(S)", align: "right" },
        { header: "ORDER ID", max: 24 },
        { header: "STATUS" },
        { header: "REASON" },
      ],
      snapshot.recentTrades.map((t) => [
        clockTime(t.ts),
        t.venue,
        t.symbol,
        t.side,
        fixed(t.size_usd),
        price(t.entry_px),
        price(t.exit_px),
        signed(t.pnl),
        fixed(t.fees_usd, 4),
        fixed(t.dur_seconds, 1),
        t.order_id ?? "N/A",
        t.order_status ?? "-",
        t.position?.exit_reason ?? "-",
      ]),
    ),
    width,
  ));

  out.push(...section(
    "PENDING ORDERS",
    table(
      [
        { header: "CREATED", align: "right" },
        { header: "VENUE" },
        { header: "SYMBOL" },
        { header: "SIDE" },
        { header: "TYPE" },
        { header: "PURPOSE" },
        { header: "PRICE", align: "right" },
        { header: "AMOUNT", align: "right" },
        { header: "FILLED", align: "right" },
        { header: "STATUS" },
        { header: "CLIENT ID", max: 36 },
        { header: "EXCHANGE ID", max: 24 },
        { header: "LAST ERROR", max: 40 },
      ],
      snapshot.pendingOrders.map((o) => [
        `${age(o.created_at, now)} ago`,
        o.venue,
        o.symbol,
        o.side,
        o.type,
        o.purpose,
        price(o.price),
        quantity(o.amount),
        quantity(o.filled),
        o.order_status,
        o.client_order_id,
        o.exchange_order_id ?? "-",
        o.last_error ?? "",
      ]),
    ),
    width,
  ));

  out.push(...section(
    "FUNCTION RUNS",
    table(
      [
        { header: "STARTED" },
        { header: "FUNCTION" },
        { header: "VENUE" },
        { header: "OUTCOME" },
        { header: "TOOK", align: "right" },
        { header: "ERROR", max: 60 },
      ],
      snapshot.recentRuns.map((r) => [
        `${clockTime(r.started_at)} (${age(r.started_at, now)} ago)`,
        r.function_name,
        r.venue ?? "all",
        r.outcome === "running" ? "running…" : r.outcome,
        ms(r.duration_ms),
        r.error ?? "",
      ]),
    ),
    width,
  ));

  const notes = attention(snapshot, now, staleAfterMs);
  out.push("-".repeat(width));
  out.push(notes.length === 0 ? "ATTENTION: nothing needs a look" : "ATTENTION");
  for (const note of notes) out.push(`  ! ${note}`);
  return out.join("\n") + "\n";
}
