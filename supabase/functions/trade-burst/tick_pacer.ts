/**
 * When the next tick starts. Polling: every burst_tick_ms. Streaming: as soon as a book top arrives, but no sooner
 * than MIN_STREAM_TICK_MS after the last tick began (a tick still refreshes working orders over REST, so ticking at
 * the message rate would spend the venue's request weight), and at burst_tick_ms at the latest (a quiet or broken
 * stream falls back to a polled tick).
 */
import type { Clock } from "../_shared/clock.ts";
import type { QuoteStream } from "../_shared/market_data/quote_stream.ts";

export const MIN_STREAM_TICK_MS = 100;

export class TickPacer {
  constructor(private readonly clock: Clock, private readonly tickMs: number, private readonly stream?: QuoteStream) {}

  /** The shortest spacing between tick starts (sizes the tick cap). */
  get minSpacingMs(): number {
    return this.stream ? Math.min(MIN_STREAM_TICK_MS, this.tickMs) : this.tickMs;
  }

  /** Waits from `now` until the next tick may start, given when the last one started. */
  async wait(lastStartMs: number, now: number): Promise<void> {
    const latest = lastStartMs + this.tickMs;
    if (!this.stream) {
      if (latest > now) await this.clock.sleep(latest - now);
      return;
    }
    const earliest = lastStartMs + this.minSpacingMs;
    if (earliest > now) await this.clock.sleep(earliest - now);
    const left = latest - this.clock.monotonicMs();
    // A top that arrived during the spacing already waits in the stream: tick now.
    if (left > 0 && !this.stream.hasUnseenTop()) await this.stream.nextTop(left);
    this.stream.markSeen();
  }
}
