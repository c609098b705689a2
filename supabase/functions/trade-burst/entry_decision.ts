/**
 * Whether one symbol gets an entry this tick, and at what amount and price: signal, balance, risk gate, precision,
 * in that order. Pure: the burst counts the outcome and places the order.
 */
import type { LatencyBand, Settings } from "../_shared/settings.ts";
import { checkEntryRisk } from "../_shared/trading/risk.ts";
import { midPrice, type Quote } from "../_shared/trading/quote.ts";
import { evaluateSignal } from "../_shared/trading/signal.ts";
import { type MarketRules, prepareBuy } from "../_shared/trading/precision.ts";

export interface EntryInput {
  quote: Quote;
  /** The symbol's momentum buffer, this quote's mid included. */
  buffer: readonly number[];
  band: LatencyBand;
  settings: Settings;
  daily: { entries: number; realizedPnl: number; openPositions: number };
  /** null when the balance is not known this tick (trading off when the tick began, or the read failed). */
  freeQuote: number | null;
  /** Active positions on this venue (the global count is daily.openPositions). */
  openPositions: number;
  rules: MarketRules;
  /** exchange_connections.is_active: an inactive venue opens nothing new (its open positions are still managed). */
  venueActive: boolean;
}

/**
 * `skip`: the signal did not fire (counted under signals.skipped). `refuse`: it fired but something else said no
 * (counted under refusals). `enter`: a limit buy of `amount` at `price`.
 */
export type EntryDecision =
  | { action: "skip"; reason: string }
  | { action: "refuse"; reason: string }
  | { action: "enter"; amount: number; price: number };

export function decideEntry(input: EntryInput): EntryDecision {
  const { quote, buffer, band, settings, daily } = input;
  // Size against an unbounded balance first, so a signal that does not fire is not counted as a refusal.
  const probe = evaluateSignal(quote, buffer, band, settings, {
    dailyPnl: daily.realizedPnl,
    freeQuote: Number.MAX_SAFE_INTEGER,
  });
  if (probe.action === "skip") return { action: "skip", reason: probe.reason ?? "skip" };
  if (!input.venueActive) return { action: "refuse", reason: "venue_inactive" };
  const freeQuote = input.freeQuote;
  if (freeQuote === null) {
    return { action: "refuse", reason: settings.trading_enabled ? "balance_unavailable" : "trading_disabled" };
  }
  const decision = evaluateSignal(quote, buffer, band, settings, { dailyPnl: daily.realizedPnl, freeQuote });
  if (decision.action === "skip") return { action: "refuse", reason: decision.reason ?? "skip" };
  const risk = checkEntryRisk({
    tradingEnabled: settings.trading_enabled,
    tradesToday: daily.entries,
    realizedPnlToday: daily.realizedPnl,
    openPositions: daily.openPositions,
    openPositionsVenue: input.openPositions,
    freeQuote,
    orderUsd: decision.size_usd,
  }, settings);
  if (!risk.allow) return { action: "refuse", reason: risk.reason };
  // A limit at the mid (floored to the tick): inside a wide spread, filled when the ask comes down to it.
  const prepared = prepareBuy({ sizeUsd: decision.size_usd, price: midPrice(quote) }, input.rules);
  if (!prepared.ok) return { action: "refuse", reason: prepared.reason };
  return { action: "enter", amount: prepared.amount, price: prepared.price };
}
