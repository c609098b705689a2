/**
 * How a tick learns what happened to the venue's working orders. With the private order stream up: the updates it
 * pushed since the last tick, applied through the order tracker (the REST lookups' path, so duplicates and replays
 * change nothing), and a REST refresh of every working order only once after each subscription went live (updates
 * sent while none was live are lost); otherwise REST only for the orders a push cannot name (an unknown outcome, an
 * OKX protection algo resting without an order id). With the stream down, or without one (paper, market_data =
 * 'poll'): the REST refresh of every tick, as before.
 */
import type { OrderStream } from "../_shared/order_stream/order_stream.ts";
import type { OrderTracker } from "../_shared/orders/order_tracker.ts";
import type { TradeStore } from "../_shared/orders/store.ts";
import type { OrderRow } from "../_shared/orders/types.ts";
import type { Venue } from "../_shared/exchange/venues.ts";
import type { TradingMode } from "../_shared/settings.ts";
import type { OrderStreamSummary } from "./summary.ts";

/** How often, with the stream up, the orders it cannot report are read over REST. */
export const UNSTREAMABLE_REFRESH_MS = 1_000;

export class OrderFeed {
  constructor(
    private readonly ctx: {
      venue: Venue;
      store: TradeStore;
      orders: OrderTracker;
      stream?: OrderStream;
      /** counters of the stream (present with a stream) */
      summary?: OrderStreamSummary;
      /** Monotonic ms: spaces the REST reads of what the stream cannot report. */
      nowMs: () => number;
    },
  ) {}

  /** When the orders a push cannot name were last read over REST (streaming). */
  #unstreamableReadAt = Number.NEGATIVE_INFINITY;

  /** An order update (or a reconcile) is waiting for the next sync. */
  get pending(): boolean {
    return this.ctx.stream?.hasEvent() ?? false;
  }

  /** Called as the start-of-burst reconcile begins: a subscription already live is covered by it. */
  beforeReconcile(): void {
    if (this.ctx.stream?.up) this.ctx.stream.takeReconcile();
  }

  /** Brings the working orders up to date for this tick. */
  async sync(mode: TradingMode): Promise<void> {
    const { venue, store, orders, stream, summary } = this.ctx;
    if (!stream || !summary) {
      await orders.refreshWorking(venue, mode);
      return;
    }
    for (const push of stream.drain()) {
      summary.events += 1;
      const outcome = await orders.applyPush(venue, mode, push);
      summary[outcome === "gap" ? "gaps" : outcome] += 1;
    }
    if (!stream.up) {
      stream.takeReconcile();
      summary.poll_refreshes += 1;
      await orders.refreshWorking(venue, mode);
      return;
    }
    const reconcile = stream.takeReconcile();
    if (reconcile) {
      summary.reconciles += 1;
      await orders.refreshWorking(venue, mode);
      return;
    }
    // What the stream cannot report: an order whose send ended unknown gets no update if it never reached the venue
    // (the REST rules settle it), and a protection leg resting without an order id of its own (an OKX oco algo: the
    // venue pushes the order it creates when it fires, which no row of ours names yet).
    // At most once a second: streaming ticks come with the pushes, and these rest for long.
    const unstreamable = (o: OrderRow) => o.order_status === "unknown" || o.exchange_order_id === null;
    if (this.ctx.nowMs() - this.#unstreamableReadAt < UNSTREAMABLE_REFRESH_MS) return;
    if ((await store.listNonFinalOrders(venue, mode)).some(unstreamable)) {
      this.#unstreamableReadAt = this.ctx.nowMs();
      await orders.refreshWorking(venue, mode, unstreamable);
    }
  }
}
