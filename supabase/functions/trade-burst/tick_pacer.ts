/**
 * When the next tick starts. Polling: every burst_tick_ms. Streaming: as soon as a book top arrives, but no sooner
 * than MIN_STREAM_TICK_MS after the last tick began (a tick still refreshes working orders over REST, so ticking at
 * the message rate would spend the venue's request weight), and at burst_tick_ms at the latest (a quiet or broken
 * stream falls back to a polled tick). An update on the private order stream (a fill, a cancel, a reconcile due)
 * starts the next tick at once, whatever the spacing: acting on a fill is what the stream is for, and such updates
 * are few.
 */
import type { Clock } from "../_shared/clock.ts";
import type { QuoteStream } from "../_shared/market_data/quote_stream.ts";
import type { OrderStream } from "../_shared/order_stream/order_stream.ts";

/** The two members of the order stream the pacer uses. */
export type OrderWake = Pick<OrderStream, "hasEvent" | "nextEvent">;

export const MIN_STREAM_TICK_MS = 100;

export class TickPacer {
  constructor(
    private readonly clock: Clock,
    private readonly tickMs: number,
    private readonly stream?: QuoteStream,
    private readonly orders?: OrderWake,
  ) {}

  /** The shortest spacing between tick starts (sizes the tick cap). */
  get minSpacingMs(): number {
    return this.stream ? Math.min(MIN_STREAM_TICK_MS, this.tickMs) : this.tickMs;
  }

  /** Waits from `now` until the next tick may start, given when the last one started. */
  async wait(lastStartMs: number, now: number): Promise<void> {
    if (this.orders?.hasEvent()) return;
    const latest = lastStartMs + this.tickMs;
    if (!this.stream) {
      if (latest > now) await this.#pause(latest - now);
      return;
    }
    const earliest = lastStartMs + this.minSpacingMs;
    if (earliest > now && await this.#pause(earliest - now)) return;
    const left = latest - this.clock.monotonicMs();
    // A top that arrived during the spacing already waits in the stream: tick now.
    if (left > 0 && !this.stream.hasUnseenTop()) {
      await (this.orders
        ? Promise.race([this.stream.nextTop(left), this.orders.nextEvent(left)])
        : this.stream.nextTop(left));
    }
    this.stream.markSeen();
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
