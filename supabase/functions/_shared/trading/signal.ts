/**
 * Entry signal: the legacy rules (scalper.py `try_trade`, `momentum_ok`, the drawdown throttle in `scalping_loop`),
 * with every number taken from settings, and long-only on spot.
 * Pure apart from MomentumBuffers, a plain in-memory map a burst keeps between ticks.
 */
import type { LatencyBand, Settings } from "../settings.ts";
import { isUsableQuote, type Quote, spreadPct } from "./quote.ts";

/**
 * Comparisons against percentage thresholds allow this much (in percentage points) so that a spread or move that is
 * exactly the threshold in decimal terms passes despite binary float error (e.g. (100.05 - 99.95) / 100 * 100 is
 * 0.09999999999999432, not 0.1).
 */
export const PCT_TOLERANCE = 1e-9;

/** Buffers are kept per venue and symbol: `binance:BTC/USDT`. */
export function momentumKey(venue: string, symbol: string): string {
  return `${venue}:${symbol}`;
}

/** A new buffer with `mid` appended, keeping the newest `window` mids. Non-positive or non-finite mids are ignored. */
export function pushMid(buffer: readonly number[], mid: number, window: number): number[] {
  if (!Number.isFinite(mid) || mid <= 0) return buffer.slice(-window);
  return [...buffer, mid].slice(-Math.max(1, window));
}

/**
 * Percent move from the oldest to the newest mid in the buffer, or null while fewer than `minSamples` mids are
 * buffered (legacy `momentum_ok`: at least 5 of the last 10).
 */
export function momentumPct(buffer: readonly number[], minSamples: number): number | null {
  const first = buffer[0];
  const last = buffer.at(-1);
  if (first === undefined || last === undefined || buffer.length < minSamples) return null;
  return first > 0 ? ((last - first) / first) * 100 : 0;
}

/** The mids seen this burst (or longer, if the caller keeps the instance), per `momentumKey`. */
export class MomentumBuffers {
  readonly #buffers = new Map<string, readonly number[]>();

  /** Appends a mid (ignored when not a positive finite number) and returns the key's buffer, oldest first. */
  observe(key: string, mid: number, window: number): readonly number[] {
    const next = pushMid(this.#buffers.get(key) ?? [], mid, window);
    this.#buffers.set(key, next);
    return next;
  }

  /** Replaces the newest mid (appends when the buffer is empty): the latest price within one sample's slot. */
  amendLast(key: string, mid: number, window: number): readonly number[] {
    const buffer = this.#buffers.get(key) ?? [];
    if (!Number.isFinite(mid) || mid <= 0 || buffer.length === 0) return this.observe(key, mid, window);
    const next = [...buffer.slice(0, -1), mid].slice(-Math.max(1, window));
    this.#buffers.set(key, next);
    return next;
  }

  get(key: string): readonly number[] {
    return this.#buffers.get(key) ?? [];
  }

  clear(key?: string): void {
    if (key === undefined) this.#buffers.clear();
    else this.#buffers.delete(key);
  }
}

/**
 * Legacy drawdown throttle: 1 while today's realized PnL is >= 0; otherwise dd = min(1, |pnl| / max_daily_loss_usd)
 * and the throttle is max(floor, 1 - dd × slope), so size shrinks as the day's loss approaches the limit.
 */
export function drawdownThrottle(
  dailyPnl: number,
  settings: Pick<Settings, "max_daily_loss_usd" | "drawdown_throttle_floor" | "drawdown_throttle_slope">,
): number {
  if (!(dailyPnl < 0)) return 1;
  const dd = Math.min(1, Math.abs(dailyPnl) / settings.max_daily_loss_usd);
  return Math.max(settings.drawdown_throttle_floor, 1 - dd * settings.drawdown_throttle_slope);
}

export interface SignalContext {
  /** Today's (UTC) realized PnL in quote currency. */
  dailyPnl: number;
  /** Free quote-currency balance (USDT) on the venue. */
  freeQuote: number;
}

type SizingSettings = Pick<
  Settings,
  | "max_daily_loss_usd"
  | "drawdown_throttle_floor"
  | "drawdown_throttle_slope"
  | "balance_use_fraction"
  | "max_order_usd"
>;

/**
 * Order size in USD: band size × band throttle × drawdown throttle, then clamped to max_order_usd (we clamp here, and
 * the risk gate refuses only orders that are still above it) and to free balance × balance_use_fraction.
 * Never negative.
 */
export function entrySizeUsd(band: LatencyBand, settings: SizingSettings, ctx: SignalContext): number {
  const wanted = band.size_usd * band.throttle * drawdownThrottle(ctx.dailyPnl, settings);
  const free = Number.isFinite(ctx.freeQuote) && ctx.freeQuote > 0 ? ctx.freeQuote : 0;
  return Math.max(0, Math.min(wanted, settings.max_order_usd, free * settings.balance_use_fraction));
}

export type Direction = "up" | "down" | "flat";

export type SignalSkipReason =
  | "invalid_quote"
  | "spread_too_narrow"
  | "momentum_warming_up"
  | "momentum_too_weak"
  | "short_without_inventory"
  | "insufficient_balance";

export interface SignalDecision {
  action: "enter_long" | "skip";
  /** Set when action is `skip`. */
  reason?: SignalSkipReason;
  /** Computed on every path so a summary can show it; only meaningful for `enter_long`. */
  size_usd: number;
  /** null while the buffer holds fewer than momentum_min_samples mids. */
  momentumPct: number | null;
  spreadPct: number;
  direction: Direction;
}

export type SignalSettings = SizingSettings & Pick<Settings, "momentum_min_samples" | "momentum_min_pct">;

/**
 * Decides whether to open a long. `buffer` must already include this quote's mid (call MomentumBuffers.observe
 * first, on every tick, whatever the spread: the legacy bot only buffered mids of wide-spread ticks, which made
 * "momentum over the last 10 mids" span an unknown stretch of time).
 *
 * Rules, in order: a usable quote; spread >= band.min_spread_pct; at least momentum_min_samples mids;
 * |momentum| >= momentum_min_pct; direction up (a down move would be a short, which spot cannot do without
 * inventory: `short_without_inventory`); a size above zero.
 */
export function evaluateSignal(
  quote: Quote,
  buffer: readonly number[],
  band: LatencyBand,
  settings: SignalSettings,
  ctx: SignalContext,
): SignalDecision {
  const usable = isUsableQuote(quote);
  const spread = usable ? spreadPct(quote.bid, quote.ask) : 0;
  const momentum = momentumPct(buffer, settings.momentum_min_samples);
  const direction: Direction = momentum === null || momentum === 0 ? "flat" : momentum > 0 ? "up" : "down";
  const size = entrySizeUsd(band, settings, ctx);
  const decide = (reason?: SignalSkipReason): SignalDecision => ({
    action: reason ? "skip" : "enter_long",
    ...(reason ? { reason } : {}),
    size_usd: size,
    momentumPct: momentum,
    spreadPct: spread,
    direction,
  });

  if (!usable) return decide("invalid_quote");
  if (spread < band.min_spread_pct - PCT_TOLERANCE) return decide("spread_too_narrow");
  if (momentum === null) return decide("momentum_warming_up");
  if (direction === "flat" || Math.abs(momentum) < settings.momentum_min_pct - PCT_TOLERANCE) {
    return decide("momentum_too_weak");
  }
  if (direction === "down") return decide("short_without_inventory");
  if (!(size > 0)) return decide("insufficient_balance");
  return decide();
}
