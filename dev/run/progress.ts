/**
 * What the demo shows while it runs: either the terminal dashboard (redrawn in place) with the demo's own notes and
 * the latest scheduler activity under it, or, with --no-dashboard, one plain progress line per refresh. Both read
 * the tables only (dashboard/terminal/snapshot.ts), so what is on screen is what the database holds.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import { render } from "../../dashboard/terminal/render.ts";
import { type DashboardSnapshot, loadSnapshot } from "../../dashboard/terminal/snapshot.ts";

/** The newest `capacity` lines, oldest first. */
export class ActivityLog {
  readonly #lines: string[] = [];
  constructor(readonly capacity = 8) {}

  add(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.capacity) this.#lines.splice(0, this.#lines.length - this.capacity);
  }

  lines(): readonly string[] {
    return this.#lines;
  }
}

function money(value: number | null): string {
  return value === null ? "-" : value.toFixed(2);
}

/**
 * Why no new entries can come today, when a daily risk limit is reached (the risk gate refuses them until 00:00 UTC;
 * a fair random-walk market costs the strategy its fees, so the demo gets there after a few minutes).
 */
export function dailyLimitNote(snapshot: DashboardSnapshot): string | undefined {
  const { settings, daily } = snapshot;
  if (!settings || !daily) return undefined;
  if (daily.realizedPnl <= -settings.max_daily_loss_usd) {
    return `daily loss limit reached (${daily.realizedPnl.toFixed(2)} of -${settings.max_daily_loss_usd} USDT): ` +
      "no new entries until 00:00 UTC (--reset starts over)";
  }
  if (daily.entries >= settings.max_trades_per_day) {
    return `daily trade limit reached (${daily.entries} of ${settings.max_trades_per_day}): ` +
      "no new entries until 00:00 UTC (--reset starts over)";
  }
  return undefined;
}

/** One line with what the tables hold now: balances, latency bands, orders, positions and PnL. */
export function progressLine(snapshot: DashboardSnapshot, elapsedSeconds: number): string {
  const venues = snapshot.venues.filter((v) => v.is_active).map((v) =>
    `${v.exchange_name} balance ${v.balance_status} ${money(v.balance_usdt)} USDT, latency ${
      v.latency_avg_ms === null ? "-" : `${Math.round(v.latency_avg_ms)} ms`
    } ${v.latency_band ?? "no band"}`
  );
  const daily = snapshot.daily;
  const trading = daily
    ? `today ${daily.entries} entries, realized PnL ${daily.realizedPnl >= 0 ? "+" : ""}${
      daily.realizedPnl.toFixed(2)
    } USDT`
    : "daily figures unknown";
  const limit = dailyLimitNote(snapshot);
  return `[t+${elapsedSeconds}s] ${venues.join("; ")} | open positions ${snapshot.openPositions.length}, ` +
    `pending orders ${snapshot.pendingOrders.length}, trades logged ${snapshot.recentTrades.length}${
      snapshot.recentTrades.length >= 10 ? "+" : ""
    } | ${trading}${limit ? ` | ${limit}` : ""}`;
}

export interface ProgressDeps {
  client: SupabaseClient;
  write: (text: string) => void;
  now: () => Date;
}

/** Clears the terminal and homes the cursor, so each refresh redraws in place. */
const CLEAR_SCREEN = "\x1b[2J\x1b[H";

export interface FrameContext {
  /** The demo's standing notes: mode, market, cadence, how to stop. */
  header: readonly string[];
  activity: ActivityLog;
  startedAt: number;
}

/** One refresh. A failed read is shown, not thrown: the next refresh is the retry. */
export async function showProgress(deps: ProgressDeps, dashboard: boolean, frame: FrameContext): Promise<void> {
  const now = deps.now();
  const elapsed = Math.round((now.getTime() - frame.startedAt) / 1000);
  let snapshot: DashboardSnapshot | undefined;
  let failure: string | undefined;
  try {
    snapshot = await loadSnapshot(deps.client, { now });
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  if (!dashboard) {
    deps.write(
      snapshot ? `${progressLine(snapshot, elapsed)}\n` : `[t+${elapsed}s] cannot read the tables: ${failure}\n`,
    );
    return;
  }
  const limit = snapshot && dailyLimitNote(snapshot);
  const body = (snapshot ? render(snapshot, now) : `cannot read the tables: ${failure}\n`) +
    (limit ? `  ! ${limit}\n` : "");
  const activity = frame.activity.lines();
  deps.write(
    CLEAR_SCREEN + body + "-".repeat(100) + "\n" + frame.header.join("\n") + "\n" +
      (activity.length > 0 ? `Recent activity:\n${activity.map((line) => `  ${line}`).join("\n")}\n` : ""),
  );
}
