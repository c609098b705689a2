/**
 * Risk gate for new entries: a near-pure check that returns allow or the first reason to refuse.
 * Exits are never gated here: closing a position must stay possible when entries are blocked.
 */
import type { Settings } from "../settings.ts";

/** 00:00 UTC of `now`'s day: daily counters start here. */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export interface EntryRiskState {
  /** bot_settings.trading_enabled, read this tick (the dashboard's Start/Stop). */
  tradingEnabled: boolean;
  /** Entries opened since 00:00 UTC. */
  tradesToday: number;
  /** Realized PnL since 00:00 UTC in quote currency (negative = loss). */
  realizedPnlToday: number;
  /** Positions not yet closed (opening, open or closing) on every venue of the mode: max_open_positions is global. */
  openPositions: number;
  /** The same on this venue, for the optional max_open_positions_per_venue. */
  openPositionsVenue?: number;
  /** Free quote-currency balance (USDT). */
  freeQuote: number;
  /** The entry's notional in USD, as sized (see entrySizeUsd). */
  orderUsd: number;
}

export type EntryRiskReason =
  | "trading_disabled"
  | "daily_trade_cap"
  | "daily_loss_limit"
  | "max_open_positions"
  | "max_open_positions_per_venue"
  | "order_too_large"
  | "insufficient_balance";

export type EntryRiskDecision = { allow: true } | { allow: false; reason: EntryRiskReason };

export type RiskSettings =
  & Pick<
    Settings,
    "max_trades_per_day" | "max_daily_loss_usd" | "max_open_positions" | "max_order_usd" | "min_order_balance_usdt"
  >
  & Partial<Pick<Settings, "max_open_positions_per_venue">>;

/** A state that is not a set of finite numbers is a caller bug, not a market condition. */
export class InvalidRiskStateError extends Error {
  constructor(readonly field: keyof EntryRiskState, readonly value: unknown) {
    super(`risk state ${field} must be a finite number${field === "orderUsd" ? " above 0" : ""}, got ${value}`);
    this.name = "InvalidRiskStateError";
  }
}

/** Tolerance for the order-size comparison, so a size clamped to exactly max_order_usd is never refused. */
const USD_TOLERANCE = 1e-9;

/**
 * Checks, in this order: trading switch, daily trade cap, daily loss limit (pnl <= -max_daily_loss_usd, as legacy),
 * open positions, order size, balance.
 *
 * Order too large: sizing clamps to max_order_usd (entrySizeUsd), so this gate refuses only an order that is still
 * above the limit, i.e. one a caller sized some other way. Clamp in sizing, refuse here.
 *
 * Insufficient balance: free quote below min_order_balance_usdt (legacy 10 USDT), or below the order itself.
 */
export function checkEntryRisk(state: EntryRiskState, settings: RiskSettings): EntryRiskDecision {
  for (const field of ["tradesToday", "realizedPnlToday", "openPositions", "freeQuote", "orderUsd"] as const) {
    if (!Number.isFinite(state[field])) throw new InvalidRiskStateError(field, state[field]);
  }
  if (!(state.orderUsd > 0)) throw new InvalidRiskStateError("orderUsd", state.orderUsd);

  const refuse = (reason: EntryRiskReason): EntryRiskDecision => ({ allow: false, reason });
  if (!state.tradingEnabled) return refuse("trading_disabled");
  if (state.tradesToday >= settings.max_trades_per_day) return refuse("daily_trade_cap");
  if (state.realizedPnlToday <= -settings.max_daily_loss_usd) return refuse("daily_loss_limit");
  if (state.openPositions >= settings.max_open_positions) return refuse("max_open_positions");
  const perVenue = settings.max_open_positions_per_venue;
  if (perVenue !== null && perVenue !== undefined && (state.openPositionsVenue ?? 0) >= perVenue) {
    return refuse("max_open_positions_per_venue");
  }
  if (state.orderUsd > settings.max_order_usd + USD_TOLERANCE) return refuse("order_too_large");
  if (state.freeQuote < settings.min_order_balance_usdt || state.orderUsd > state.freeQuote + USD_TOLERANCE) {
    return refuse("insufficient_balance");
  }
  return { allow: true };
}
