/**
 * When to close a long and when to give up on an entry that has not filled. Pure: the clock comes in as `now`.
 * Prices are judged on the bid, the price a sell can actually get.
 */
import type { Settings } from "../settings.ts";
import type { Quote } from "./quote.ts";

/** Exit reasons this module decides; `kill_switch` and `manual` come from elsewhere. */
export type AutomaticExitReason = "take_profit" | "stop_loss" | "time_stop";

/** A timestamp as PostgREST returns it (ISO text), a Date, or epoch milliseconds. */
export type Instant = string | Date | number;

export class InvalidInstantError extends Error {
  constructor(readonly field: string, readonly value: unknown) {
    super(`${field} is not a valid timestamp: ${String(value)}`);
    this.name = "InvalidInstantError";
  }
}

export function toEpochMs(value: Instant, field = "timestamp"): number {
  const ms = typeof value === "number" ? value : typeof value === "string" ? Date.parse(value) : value.getTime();
  if (!Number.isFinite(ms)) throw new InvalidInstantError(field, value);
  return ms;
}

/** Relative tolerance on price thresholds, so a bid exactly on the target triggers despite float error. */
const PRICE_TOLERANCE = 1e-12;

export type ExitSettings = Pick<Settings, "take_profit_pct" | "stop_loss_pct" | "time_stop_seconds">;

/** Take-profit and stop-loss trigger prices for an entry (percent settings: 0.2 means 0.2 %). */
export function exitPrices(entryAvgPx: number, settings: ExitSettings): { takeProfit: number; stopLoss: number } {
  return {
    takeProfit: entryAvgPx * (1 + settings.take_profit_pct / 100),
    stopLoss: entryAvgPx * (1 - settings.stop_loss_pct / 100),
  };
}

export interface ExitPosition {
  /** Average entry price from fills; positions rows may carry numeric columns as strings. */
  entry_avg_px: number | string;
  opened_at: Instant;
}

/**
 * The first exit that applies, in order: take_profit (bid >= entry × (1 + tp%)), stop_loss
 * (bid <= entry × (1 − sl%)), time_stop (held >= time_stop_seconds), else null.
 * A bid that is not a positive number cannot trigger a price exit (a broken quote must not sell at a loss), but the
 * time stop still applies.
 */
export function decideExit(
  position: ExitPosition,
  quote: Quote,
  now: Instant,
  settings: ExitSettings,
): AutomaticExitReason | null {
  const entry = Number(position.entry_avg_px);
  if (!Number.isFinite(entry) || entry <= 0) {
    throw new RangeError(`position entry_avg_px must be a positive number, got ${position.entry_avg_px}`);
  }
  const bid = quote.bid;
  if (Number.isFinite(bid) && bid > 0) {
    const { takeProfit, stopLoss } = exitPrices(entry, settings);
    if (bid >= takeProfit * (1 - PRICE_TOLERANCE)) return "take_profit";
    if (bid <= stopLoss * (1 + PRICE_TOLERANCE)) return "stop_loss";
  }
  const heldMs = toEpochMs(now, "now") - toEpochMs(position.opened_at, "opened_at");
  if (heldMs >= settings.time_stop_seconds * 1000) return "time_stop";
  return null;
}

/** True once an entry order has waited entry_timeout_seconds or more since it was created: cancel it. */
export function shouldCancelEntry(
  createdAt: Instant,
  now: Instant,
  settings: Pick<Settings, "entry_timeout_seconds">,
): boolean {
  return toEpochMs(now, "now") - toEpochMs(createdAt, "created_at") >= settings.entry_timeout_seconds * 1000;
}
