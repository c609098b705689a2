// Test and admin controls over both venues' markets: what `sim.market` offers in process and the admin API over HTTP.

import type { VenueEngine } from "./engine.ts";
import type { PathAdvance } from "./prices.ts";
import type { PricePoint, ScriptedQuote, VenueId } from "./types.ts";

export interface MarketControls {
  engine(venue: VenueId): VenueEngine;
  /** price steps on demand (both venues when venue is omitted) */
  step(venue?: VenueId, count?: number): void;
  /** starts a scripted path now; `advance` defaults to "clock" (see VenueEngine.setPath) */
  setPath(venue: VenueId, symbol: string, points: PricePoint[], advance?: PathAdvance): void;
  clearPath(venue: VenueId, symbol: string): void;
  setQuote(venue: VenueId, symbol: string, point: ScriptedQuote): void;
  /** sets an asset of the venue's demo account (or of `accountId`) */
  setBalance(venue: VenueId, asset: string, free: number, options?: { locked?: number; accountId?: string }): void;
  /** Binance's "use BNB to pay fees" for the demo account (or `accountId`) */
  setBnbFees(enabled: boolean, accountId?: string): void;
  /** the venue's server time minus ours (ms) */
  setClockOffset(venue: VenueId, offsetMs: number): void;
}

export function createMarketControls(engines: Record<VenueId, VenueEngine>): MarketControls {
  const demoAccountId = (venue: VenueId) => engines[venue].listAccounts()[0].id;
  return {
    engine: (venue) => engines[venue],
    step: (venue, count = 1) => {
      for (const v of venue ? [venue] : (["binance", "okx"] as const)) engines[v].step(count);
    },
    setPath: (venue, symbol, points, advance) => engines[venue].setPath(symbol, points, advance),
    clearPath: (venue, symbol) => engines[venue].clearPath(symbol),
    setQuote: (venue, symbol, point) => engines[venue].setQuote(symbol, point),
    setBalance: (venue, asset, free, opts = {}) =>
      engines[venue].setBalance(opts.accountId ?? demoAccountId(venue), asset, free, opts.locked),
    setClockOffset: (venue, offsetMs) => engines[venue].setClockOffset(offsetMs),
    setBnbFees: (enabled, accountId) => engines.binance.setBnbFees(accountId ?? demoAccountId("binance"), enabled),
  };
}
