/**
 * Today's risk counters (entries, realized PnL) for one burst: read from the tables once, then moved by what the
 * burst's venues do, which are the only writers of positions while they hold their leases. One tally is shared by
 * all venues of a burst (the counters are per mode, over every venue). It mirrors `TradeStore.dailyStats`: every entry
 * sent counts (one that timed out unfilled too), one the venue refused does not; PnL counts when a position closes. A
 * new UTC day reads the tables again.
 */
import type { DailyStats, TradeStore } from "../_shared/orders/store.ts";
import type { PositionRow } from "../_shared/orders/types.ts";
import type { TradingMode } from "../_shared/settings.ts";
import { utcDayStart } from "../_shared/trading/risk.ts";

export class DailyTally {
  #since: Date | null = null;
  #stats: DailyStats = { entries: 0, realizedPnl: 0, openPositions: 0 };
  #loading: Promise<void> | null = null;

  constructor(private readonly store: TradeStore, readonly mode: TradingMode) {}

  /** The counters for `now`'s UTC day: read once per day (concurrent callers share the read), then from memory. */
  async current(now: Date): Promise<DailyStats> {
    const since = utcDayStart(now);
    if (this.#since?.getTime() !== since.getTime()) {
      this.#loading ??= this.#load(since).finally(() => (this.#loading = null));
      await this.#loading;
    }
    return { ...this.#stats };
  }

  /**
   * The counters as they stand, without waiting: what a decision reads right before it reserves its slot, with no
   * await between (call `current` first, so a new UTC day has been read).
   */
  snapshot(): DailyStats {
    return { ...this.#stats };
  }

  async #load(since: Date): Promise<void> {
    this.#stats = await this.store.dailyStats(this.mode, since);
    this.#since = since;
  }

  #today(iso: string | null): boolean {
    return this.#since !== null && iso !== null && Date.parse(iso) >= this.#since.getTime();
  }

  /** A position was opened (its entry order recorded). */
  recordEntry(position: Pick<PositionRow, "opened_at">): void {
    if (this.#today(position.opened_at)) this.#stats.entries += 1;
  }

  /** The venue refused the position's entry: nothing was placed, so it does not count towards the cap. */
  recordRefused(position: Pick<PositionRow, "opened_at">): void {
    if (this.#today(position.opened_at)) this.#stats.entries = Math.max(0, this.#stats.entries - 1);
  }

  /**
   * An entry was decided: one more active position on some venue, counted at once (before any await) so venues
   * ticking together cannot both take the last slot of the global max_open_positions.
   */
  reserveOpen(): void {
    this.#stats.openPositions += 1;
  }

  /** A position ended (failed or closed): its slot is free again. */
  recordEnded(): void {
    this.#stats.openPositions = Math.max(0, this.#stats.openPositions - 1);
  }

  /** A position closed with its realized PnL. */
  recordClosed(position: Pick<PositionRow, "closed_at" | "realized_pnl">): void {
    if (this.#today(position.closed_at)) this.#stats.realizedPnl += position.realized_pnl ?? 0;
  }
}
