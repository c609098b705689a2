/**
 * What the web dashboard derives from rows it read: the cumulative PnL line and daily bars, performance per symbol,
 * the day's risk against the limits, whether each cron job ran on time, and what needs a person. Pure: rows and the
 * clock in, plain values out.
 */

import { nextCronRun, parseCron } from "../../dev/schedule/cron.ts";
import { drawdownThrottle } from "../../supabase/functions/_shared/trading/signal.ts";
import { utcDayStart } from "../../supabase/functions/_shared/trading/risk.ts";

export interface ClosedTrade {
  ts: string;
  venue: string;
  symbol: string;
  pnl: number;
  fees_usd: number | null;
}

export interface ChartPoint {
  /** Seconds since the epoch (UTC), strictly increasing. */
  time: number;
  value: number;
}

/** Running sum of PnL in time order; trades in the same second are one point (charts need distinct times). */
export function cumulativePnl(trades: readonly ClosedTrade[]): ChartPoint[] {
  const sorted = [...trades].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  const points: ChartPoint[] = [];
  let total = 0;
  for (const trade of sorted) {
    total += trade.pnl;
    const time = Math.floor(Date.parse(trade.ts) / 1000);
    const last = points.at(-1);
    if (last && last.time === time) last.value = total;
    else points.push({ time, value: total });
  }
  return points;
}

/** Realized PnL per UTC day, the day's 00:00 as its time. */
export function dailyPnl(trades: readonly ClosedTrade[]): ChartPoint[] {
  const days = new Map<number, number>();
  for (const trade of trades) {
    const day = utcDayStart(new Date(trade.ts)).getTime() / 1000;
    days.set(day, (days.get(day) ?? 0) + trade.pnl);
  }
  return [...days.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
}

export interface SymbolPerformance {
  venue: string;
  symbol: string;
  trades: number;
  wins: number;
  /** wins / trades. */
  winRate: number;
  pnl: number;
  fees: number;
}

/** One row per venue and symbol, best PnL first. A win is a trade with PnL above zero (after fees). */
export function performanceBySymbol(trades: readonly ClosedTrade[]): SymbolPerformance[] {
  const rows = new Map<string, SymbolPerformance>();
  for (const trade of trades) {
    const key = `${trade.venue} ${trade.symbol}`;
    const row = rows.get(key) ??
      { venue: trade.venue, symbol: trade.symbol, trades: 0, wins: 0, winRate: 0, pnl: 0, fees: 0 };
    row.trades += 1;
    if (trade.pnl > 0) row.wins += 1;
    row.pnl += trade.pnl;
    row.fees += trade.fees_usd ?? 0;
    row.winRate = row.wins / row.trades;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.pnl - a.pnl || a.symbol.localeCompare(b.symbol));
}

export interface RiskLimits {
  max_trades_per_day: number;
  max_daily_loss_usd: number;
  max_open_positions: number;
  drawdown_throttle_floor: number;
  drawdown_throttle_slope: number;
}

export interface RiskToday {
  entries: number;
  maxEntries: number;
  realizedPnl: number;
  maxLoss: number;
  /** 1 = full size; below 1 the bot sizes entries down after losses (the burst's own formula). */
  throttle: number;
  /** Not-final positions per venue: the open-position limit applies to each venue on its own, as in the burst. */
  openByVenue: { venue: string; open: number }[];
  maxOpenPositions: number;
  /** Limits already reached: no new entry until the day turns (or a position closes). */
  blocked: string[];
}

/**
 * The day against the limits, counted as the burst counts them: entries and realized PnL over every venue in the
 * current mode (one daily tally), open positions per venue.
 */
export function riskToday(
  daily: { entries: number; realizedPnl: number },
  openByVenue: ReadonlyMap<string, number>,
  limits: RiskLimits,
): RiskToday {
  const blocked: string[] = [];
  if (daily.entries >= limits.max_trades_per_day) blocked.push("daily entry cap reached");
  if (daily.realizedPnl <= -limits.max_daily_loss_usd) blocked.push("daily loss limit reached");
  const venues = [...openByVenue.entries()].sort((a, b) => a[0].localeCompare(b[0]))
    .map(([venue, open]) => ({ venue, open }));
  for (const { venue, open } of venues) {
    if (open >= limits.max_open_positions) blocked.push(`open position limit reached on ${venue}`);
  }
  return {
    entries: daily.entries,
    maxEntries: limits.max_trades_per_day,
    realizedPnl: daily.realizedPnl,
    maxLoss: limits.max_daily_loss_usd,
    throttle: drawdownThrottle(daily.realizedPnl, limits),
    openByVenue: venues,
    maxOpenPositions: limits.max_open_positions,
    blocked,
  };
}

export interface ScheduleLike {
  name: string;
  cron: string;
  enabled: boolean;
}

export interface JobPunctuality {
  name: string;
  cron: string;
  enabled: boolean;
  lastStartedAt: string | null;
  /** When the next run was due after the last one. */
  dueAt: string | null;
  state: "on_time" | "late" | "never_ran" | "disabled";
}

/** A run counts as on time while the next one is not yet `graceMs` overdue (cron fires on the minute, calls take time). */
export function cronPunctuality(
  schedules: readonly ScheduleLike[],
  lastStartByFunction: ReadonlyMap<string, string>,
  now: Date,
  graceMs = 90_000,
): JobPunctuality[] {
  return schedules.map((job) => {
    const lastStartedAt = lastStartByFunction.get(job.name) ?? null;
    if (!job.enabled) {
      return { name: job.name, cron: job.cron, enabled: false, lastStartedAt, dueAt: null, state: "disabled" };
    }
    if (!lastStartedAt) {
      return { name: job.name, cron: job.cron, enabled: true, lastStartedAt, dueAt: null, state: "never_ran" };
    }
    const due = nextCronRun(parseCron(job.cron), new Date(lastStartedAt));
    return {
      name: job.name,
      cron: job.cron,
      enabled: true,
      lastStartedAt,
      dueAt: due.toISOString(),
      state: now.getTime() > due.getTime() + graceMs ? "late" : "on_time",
    };
  });
}

export interface VenueHealth {
  exchange_name: string;
  is_active: boolean;
  balance_status: string;
  last_balance_update: string | null;
  last_error: string | null;
}

export interface FailingExit {
  position_id: string;
  venue: string;
  symbol: string;
  failures: number;
  last_error: string | null;
}

export interface AttentionInput {
  mode: string | null;
  venues: readonly VenueHealth[];
  failingExits: readonly FailingExit[];
  /** Latest burst's venues that stopped because the venue refused the keys (`error_kind: needs_human`). */
  refusedVenues: readonly { venue: string; error: string | null }[];
  lateJobs: readonly JobPunctuality[];
  now: Date;
  /** A balance older than this is called stale even when the row still says ok. Default 15 min. */
  staleBalanceMs?: number;
}

export interface Attention {
  severity: "critical" | "warning";
  text: string;
}

/** Exit failures from this many attempts on are a person's job (the burst keeps retrying, but something is wrong). */
export const FAILING_EXIT_THRESHOLD = 2;

export function attentionItems(input: AttentionInput): Attention[] {
  const items: Attention[] = [];
  const staleMs = input.staleBalanceMs ?? 15 * 60_000;
  if (input.mode === "live") items.push({ severity: "critical", text: "LIVE mode: orders use real funds" });
  for (const refused of input.refusedVenues) {
    items.push({
      severity: "critical",
      text: `${refused.venue} refused the API keys or permissions: fix the keys, then start again${
        refused.error ? ` (${refused.error})` : ""
      }`,
    });
  }
  for (const exit of input.failingExits) {
    if (exit.failures < FAILING_EXIT_THRESHOLD) continue;
    items.push({
      severity: "critical",
      text: `${exit.venue} ${exit.symbol}: exit failed ${exit.failures} times${
        exit.last_error ? ` (${exit.last_error})` : ""
      }; the position is still open`,
    });
  }
  for (const venue of input.venues) {
    if (!venue.is_active) continue;
    const age = venue.last_balance_update ? input.now.getTime() - Date.parse(venue.last_balance_update) : Infinity;
    if (venue.balance_status === "error") {
      items.push({
        severity: "critical",
        text: `${venue.exchange_name} balance error: ${venue.last_error ?? "no detail"}`,
      });
    } else if (venue.balance_status === "stale" || age > staleMs) {
      items.push({
        severity: "warning",
        text: `${venue.exchange_name} balance is stale${venue.last_error ? `: ${venue.last_error}` : ""}`,
      });
    }
  }
  for (const job of input.lateJobs) {
    if (job.state === "late") items.push({ severity: "warning", text: `${job.name} is late (due ${job.dueAt})` });
  }
  return items;
}
