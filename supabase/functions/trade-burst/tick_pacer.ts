/**
 * When the next tick starts. Polling: every burst_tick_ms. Streaming: as soon as a book top arrives (the round that
 * decides on it), at burst_tick_ms after the last prepared tick at the latest (a quiet or broken stream falls back to a
 * polled tick). Rounds draw on a small budget that refills one round per MIN_DECISION_SPACING_MS: the tops of one
 * moment, arriving as separate messages, each start a round at once, while a symbol pushing tens of tops a second
 * costs at most 1000 / MIN_DECISION_SPACING_MS rounds a second (tops that come while the budget is empty are decided
 * together when it refills). An update on the private order stream (a fill, a cancel, a reconcile due) starts the
 * next tick at once, whatever the budget: acting on a fill is what the stream is for, and such updates are few.
 *
 * Waking the process costs far more CPU than a round's decisions (about 0.2 ms per wake from a sleep on the machine
 * the benchmarks ran on, against tens of µs per round): the pacer sleeps only where it must, so a round costs no timer
 * of its own when tops come slower than the budget refills.
 */
import type { Clock } from "../_shared/clock.ts";
import type { QuoteStream } from "../_shared/market_data/quote_stream.ts";
import type { OrderStream } from "../_shared/order_stream/order_stream.ts";

/** The members of the order stream the pacer uses. */
export type OrderWake = Pick<OrderStream, "hasEvent" | "nextEvent" | "eventArrivals">;
/** The two members of the quote stream the pacer uses. */
export type TopWake = Pick<QuoteStream, "hasUnseenTop" | "nextTop">;

/** One round of budget comes back every this many ms. */
export const MIN_DECISION_SPACING_MS = 20;
/** Rounds that may follow one another without spacing. */
export const ROUND_BUDGET = 4;

/**
 * Resolves once the event loop has taken in the socket messages already read (they arrive as promise continuations),
 * without a timer: a timer, even of 0 ms, sleeps the process for about a millisecond and then wakes it.
 */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

export class TickPacer {
  /** Rounds left in the budget when `#budgetAt` was reached. */
  #budget = ROUND_BUDGET;
  #budgetAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly tickMs: number,
    private readonly stream?: TopWake,
    private readonly orders?: OrderWake,
  ) {}

  /** The most ticks a burst of `durationMs` can start (sizes the tick cap). */
  maxTicks(durationMs: number): number {
    if (!this.stream) return Math.ceil(durationMs / this.tickMs) + 1;
    const spacing = Math.min(MIN_DECISION_SPACING_MS, this.tickMs);
    return Math.ceil(durationMs / spacing) + 1 + ROUND_BUDGET;
  }

  /** Polling: waits from `now` until burst_tick_ms after the last tick started (less when an order update comes). */
  async wait(lastStartMs: number, now: number): Promise<void> {
    if (this.orders?.hasEvent()) return;
    const latest = lastStartMs + this.tickMs;
    if (latest > now) await this.#pause(latest - now);
  }

  /**
   * Streaming: waits from `now` for what starts the next round: a top no round has taken, an order update, or
   * burst_tick_ms after the last prepared tick began. `tops` false (no top can lead to an order now): tops start no
   * round, only an order update or burst_tick_ms ends the wait.
   */
  async waitForData(lastPreparedMs: number, now: number, tops = true): Promise<void> {
    const stream = this.stream;
    if (!stream || !tops) return await this.wait(lastPreparedMs, now);
    if (this.orders?.hasEvent()) return;
    if (!stream.hasUnseenTop()) {
      const left = lastPreparedMs + this.tickMs - now;
      if (left <= 0) return;
      // One wait for both: a race of two would leave the loser's timer to wake the process later for nothing.
      const woke = await stream.nextTop(left, this.orders?.eventArrivals);
      // Woken by the deadline (the prepared tick polls) or by an order update: no round to pay for.
      if (!woke || this.orders?.hasEvent()) return;
    }
    const short = this.#roundDueInMs(this.clock.monotonicMs());
    if (short > 0 && await this.#pause(short)) return;
    this.#spendRound(this.clock.monotonicMs());
    // A venue sends the tops of one moment as separate messages: those already read join this round.
    await nextTurn();
  }

  /** 0 when the budget holds a round at `now`, else how long until it does. */
  #roundDueInMs(now: number): number {
    const budget = this.#budgetNow(now);
    return budget >= 1 ? 0 : Math.ceil((1 - budget) * MIN_DECISION_SPACING_MS);
  }

  #spendRound(now: number): void {
    this.#budget = Math.max(0, this.#budgetNow(now) - 1);
    this.#budgetAt = now;
  }

  #budgetNow(now: number): number {
    if (this.#budgetAt === Number.NEGATIVE_INFINITY) return ROUND_BUDGET;
    return Math.min(ROUND_BUDGET, this.#budget + (now - this.#budgetAt) / MIN_DECISION_SPACING_MS);
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
