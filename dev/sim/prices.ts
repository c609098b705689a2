// The price process of one symbol: a seeded random walk of the mid, or a scripted path that replaces it, plus the
// top-of-book liquidity each price step offers and the 24 h history a ticker reports.

import { gaussian, type Random } from "./prng.ts";
import { clean, floorToStep, roundToStep } from "./numbers.ts";
import { SimRejection } from "./rejection.ts";
import type { MarketInfo, PricePoint, SimTicker } from "./types.ts";

/**
 * What moves a scripted path on: `clock`, one point per price step of the clock (or of `step()`); `read`, one point
 * per market-data request for the symbol (or per `step()`), so a client sees every point in order however slow it is.
 */
export type PathAdvance = "clock" | "read";

interface HistoryPoint {
  t: number;
  mid: number;
}

/** One symbol's quote, liquidity and history. The engine owns one per market and matches orders against it. */
export class SymbolMarket {
  bid: number;
  ask: number;
  bidLiquidity: number;
  askLiquidity: number;
  sequence = 1;
  private path: PricePoint[] = [];
  /** undefined: the random walk; otherwise a scripted path (held at its last point once it runs out) */
  private advanceBy: PathAdvance | undefined;
  private history: HistoryPoint[] = [];
  private tradeVolume: { t: number; base: number; quote: number }[] = [];
  lastTradePrice?: number;

  constructor(readonly info: MarketInfo, private readonly random: Random, now: number) {
    const half = Math.max(info.tickSize, (info.price * info.spreadBps) / 20000);
    this.bid = floorToStep(info.price - half, info.tickSize);
    this.ask = Math.max(clean(this.bid + info.tickSize), roundToStep(info.price + half, info.tickSize));
    this.bidLiquidity = info.topOfBookQty;
    this.askLiquidity = info.topOfBookQty;
    this.history.push({ t: now, mid: this.mid() });
  }

  mid(): number {
    return (this.bid + this.ask) / 2;
  }

  setPath(points: PricePoint[], advance: PathAdvance = "clock"): void {
    this.path = [...points];
    this.advanceBy = advance;
  }

  clearPath(): void {
    this.path = [];
    this.advanceBy = undefined;
  }

  hasPath(): boolean {
    return this.path.length > 0;
  }

  /** How the scripted path moves on; undefined while the random walk runs. */
  get pathAdvance(): PathAdvance | undefined {
    return this.advanceBy;
  }

  /** One price step: the next scripted point (the last one holds), or a random-walk move when no path is set. */
  step(now: number): void {
    const point = this.path.shift();
    if (point) {
      this.apply(point);
    } else if (this.advanceBy === undefined) {
      const move = (this.info.driftBps + this.info.volatilityBps * gaussian(this.random)) / 10000;
      const mid = Math.max(this.info.tickSize * 2, this.mid() * Math.exp(move));
      const half = Math.max(this.info.tickSize / 2, (mid * this.info.spreadBps) / 20000);
      const bid = Math.max(this.info.tickSize, floorToStep(mid - half, this.info.tickSize));
      this.bid = bid;
      this.ask = Math.max(clean(bid + this.info.tickSize), roundToStep(mid + half, this.info.tickSize));
    }
    this.bidLiquidity = this.info.topOfBookQty;
    this.askLiquidity = this.info.topOfBookQty;
    this.sequence++;
    this.record(now);
  }

  apply(point: PricePoint): void {
    const { bid, ask } = "bid" in point
      ? point
      : { bid: point.mid - point.spread / 2, ask: point.mid + point.spread / 2 };
    if (!(bid > 0) || !(ask >= bid)) {
      throw new SimRejection("invalid_parameter", `scripted quote needs 0 < bid <= ask, got bid=${bid} ask=${ask}`);
    }
    this.bid = clean(bid);
    this.ask = clean(ask);
  }

  private record(now: number): void {
    this.history.push({ t: now, mid: this.mid() });
    const cutoff = now - 86_400_000;
    while (this.history.length > 1 && (this.history[0].t < cutoff || this.history.length > 100_000)) {
      this.history.shift();
    }
  }

  recordTrade(now: number, price: number, base: number, quote: number): void {
    this.lastTradePrice = price;
    this.tradeVolume.push({ t: now, base, quote });
    const cutoff = now - 86_400_000;
    while (this.tradeVolume.length > 0 && (this.tradeVolume[0].t < cutoff || this.tradeVolume.length > 100_000)) {
      this.tradeVolume.shift();
    }
  }

  ticker(now: number): SimTicker {
    const cutoff = now - 86_400_000;
    const window = this.history.filter((p) => p.t >= cutoff);
    const mids = window.length > 0 ? window.map((p) => p.mid) : [this.mid()];
    const trades = this.tradeVolume.filter((v) => v.t >= cutoff);
    const tick = this.info.tickSize;
    return {
      symbol: this.info.symbol,
      bid: this.bid,
      ask: this.ask,
      bidQty: clean(this.bidLiquidity),
      askQty: clean(this.askLiquidity),
      last: this.lastTradePrice ?? roundToStep(this.mid(), tick),
      open24h: roundToStep(mids[0], tick),
      high24h: roundToStep(Math.max(...mids, this.ask), tick),
      low24h: roundToStep(Math.min(...mids, this.bid), tick),
      baseVolume24h: clean(trades.reduce((s, v) => s + v.base, 0)),
      quoteVolume24h: clean(trades.reduce((s, v) => s + v.quote, 0)),
      timestamp: now,
    };
  }
}
