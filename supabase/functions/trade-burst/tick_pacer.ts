/**
 * When the next tick starts. Polling: every burst_tick_ms. Streaming: as soon as a book top arrives (the round that
 * decides on it), at burst_tick_ms after the last prepared tick at the latest (a quiet or broken stream falls back to a
 * polled tick), and rounds no closer than MIN_DECISION_SPACING_MS: the first top after a quiet spell is decided at
 * once, tops that follow within the spacing are decided together at its end, so a symbol pushing tens of tops a
 * second costs at most 1000 / MIN_DECISION_SPACING_MS rounds a second. An update on the private order stream (a fill,
 * a cancel, a reconcile due) starts the next tick at once, whatever the spacing: acting on a fill is what the stream
 * is for, and such updates are few.
 */
import type { Clock } from "../_shared/clock.ts";
import type { QuoteStream } from "../_shared/market_data/quote_stream.ts";
import type { OrderStream } from "../_shared/order_stream/order_stream.ts";

/** The two members of the order stream the pacer uses. */
export type OrderWake = Pick<OrderStream, "hasEvent" | "nextEvent">;
/** The two members of the quote stream the pacer uses. */
export type TopWake = Pick<QuoteStream, "hasUnseenTop" | "nextTop">;

export const MIN_DECISION_SPACING_MS = 20;

/** Resolves after the event loop has run what is already due (socket messages included), not after a delay. */
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class TickPacer {
  constructor(
    private readonly clock: Clock,
    private readonly tickMs: number,
    private readonly stream?: TopWake,
    private readonly orders?: OrderWake,
  ) {}

  /** The shortest spacing between tick starts (sizes the tick cap). */
  get minSpacingMs(): number {
    return this.stream ? Math.min(MIN_DECISION_SPACING_MS, this.tickMs) : this.tickMs;
  }

  /** Polling: waits from `now` until burst_tick_ms after the last tick started (less when an order update comes). */
  async wait(lastStartMs: number, now: number): Promise<void> {
    if (this.orders?.hasEvent()) return;
    const latest = lastStartMs + this.tickMs;
    if (latest > now) await this.#pause(latest - now);
  }

  /**
   * Streaming: waits from `now` for what starts the next round: a top no round has taken, an order update, or
   * burst_tick_ms after the last prepared tick began. `lastRoundMs` is when the last round's wait ended.
   */
  async waitForData(lastPreparedMs: number, lastRoundMs: number, now: number): Promise<void> {
    const stream = this.stream;
    if (!stream) return await this.wait(lastPreparedMs, now);
    if (this.orders?.hasEvent()) return;
    const earliest = lastRoundMs + this.minSpacingMs;
    if (earliest > now && await this.#pause(earliest - now)) return;
    const left = lastPreparedMs + this.tickMs - this.clock.monotonicMs();
    if (left <= 0 || stream.hasUnseenTop()) return;
    const woke =
      await (this.orders ? Promise.race([stream.nextTop(left), this.orders.nextEvent(left)]) : stream.nextTop(left));
    // A venue sends the tops of one moment as separate messages: one more turn of the event loop takes in the rest,
    // so one round decides them all rather than the first alone.
    if (woke) await nextTurn();
  }

  /** Sleeps `ms`, or less when an order update arrives (then true). */
  async #pause(ms: number): Promise<boolean> {
    if (!this.orders) {
      await this.clock.sleep(ms);
      return false;
    }
    return await this.orders.nextEvent(ms);
  }
}
