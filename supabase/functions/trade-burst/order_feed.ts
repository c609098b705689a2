/**
 * How a tick learns what happened to the venue's working orders. With the private order stream up: the updates it
 * pushed since the last tick, applied through the order tracker (the REST lookups' path, so duplicates and replays
 * change nothing), and a REST refresh of every working order only once after each subscription went live (updates
 * sent while none was live are lost); otherwise REST only for the orders a push cannot name (an unknown outcome, and
 * a protection leg without an order id of its own where the stream does not report algos). On OKX the stream reports
 * protection algos too: a fired algo binds its leg to the order it created, and that order's updates, which may come
 * before the algo's, are held until then. With the stream down, or without one (paper, market_data = 'poll'): the
 * REST refresh of every tick, as before.
 */
import type { OrderStream } from "../_shared/order_stream/order_stream.ts";
import type { OrderTracker } from "../_shared/orders/order_tracker.ts";
import type { TradeStore } from "../_shared/orders/store.ts";
import { isProtectionLeg, type OrderRow } from "../_shared/orders/types.ts";
import type { OrderPush } from "../_shared/orders/order_push.ts";
import type { Venue } from "../_shared/exchange/venues.ts";
import type { TradingMode } from "../_shared/settings.ts";
import type { OrderStreamSummary } from "./summary.ts";

/** How often, with the stream up, the orders it cannot report are read over REST. */
export const UNSTREAMABLE_REFRESH_MS = 1_000;
/** Order updates that matched no row, held for an algo that may name their order next (the newest kept). */
export const HELD_UPDATES = 64;

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
  /** By exchange order id: the latest update that matched no row (an algo's order, before the algo named it). */
  readonly #held = new Map<string, OrderPush>();

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
    // Polling (no stream, or the stream down): what the venue's limits let out now; the rest waits for a later tick.
    if (!stream || !summary) {
      await orders.refreshWorking(venue, mode, undefined, { withinLimits: true });
      return;
    }
    for (const update of stream.drain()) {
      summary.events += 1;
      if (update.kind === "order") {
        const outcome = await orders.applyPush(venue, mode, update.push);
        // Only an algo can name an unmatched order later (OKX): elsewhere nothing would take it back.
        if (outcome === "unmatched" && stream.reportsAlgos) this.#hold(update.push);
        summary[outcome === "gap" ? "gaps" : outcome] += 1;
        continue;
      }
      const { outcome, bound } = await orders.applyAlgoPush(venue, mode, update.algo);
      summary[outcome] += 1;
      const held = bound !== null ? this.#held.get(bound) : undefined;
      if (held) {
        this.#held.delete(bound!);
        await orders.applyPush(venue, mode, held);
      }
    }
    if (!stream.up) {
      stream.takeReconcile();
      summary.poll_refreshes += 1;
      await orders.refreshWorking(venue, mode, undefined, { withinLimits: true });
      return;
    }
    const reconcile = stream.takeReconcile();
    if (reconcile) {
      summary.reconciles += 1;
      await orders.refreshWorking(venue, mode);
      return;
    }
    // What the stream cannot report: an order whose send ended unknown gets no update if it never reached the venue
    // (the REST rules settle it), and a protection leg resting without an order id of its own whose algo the stream
    // does not report (or whose placement answer has not named the algo yet).
    // At most once a second: streaming ticks come with the pushes, and these rest for long.
    const algoReported = (o: OrderRow) => stream.reportsAlgos && isProtectionLeg(o) && o.exchange_list_id !== null;
    const unstreamable = (o: OrderRow) =>
      o.order_status === "unknown" || (o.exchange_order_id === null && !algoReported(o));
    if (this.ctx.nowMs() - this.#unstreamableReadAt < UNSTREAMABLE_REFRESH_MS) return;
    if ((await store.listNonFinalOrders(venue, mode)).some(unstreamable)) {
      this.#unstreamableReadAt = this.ctx.nowMs();
      await orders.refreshWorking(venue, mode, unstreamable);
    }
  }

  /** Keeps the newest unmatched update per order, at most HELD_UPDATES orders (the oldest dropped first). */
  #hold(push: OrderPush): void {
    this.#held.delete(push.exchangeOrderId);
    this.#held.set(push.exchangeOrderId, push);
    if (this.#held.size > HELD_UPDATES) this.#held.delete(this.#held.keys().next().value!);
  }
}
