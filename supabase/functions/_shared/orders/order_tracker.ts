/**
 * The one owner of a venue's orders while a burst runs (after hummingbot's ClientOrderTracker): it records an order
 * before it leaves, sends it once, resolves an unknown outcome by looking the order up by client order id, cancels,
 * and refreshes the working orders. It keeps the orders it touched as active (not final), cached (final, for the
 * summary) or lost (not found at the venue past the grace period, so given up on by reconcile.ts's rule and counted).
 *
 * Every change goes through order_book.ts (valid transitions, fills that never shrink) and reconcile.ts's
 * refreshOrder (the not-found rule); the tracker adds the order of the steps and the bookkeeping. What a change means
 * to the caller (a fill, funds to read again) it hears through the listener.
 */
import type { Clock } from "../clock.ts";
import { describeError } from "../describe_error.ts";
import { ExchangeLayerError, FinalExchangeError, isNotSentError, NeedsHumanError } from "../exchange/errors.ts";
import type { TradingMode } from "../settings.ts";
import { isFinalStatus } from "../trading/lifecycle.ts";
import { newClientOrderId } from "./client_order_id.ts";
import { CANCEL_REQUESTED, type CancelOptions, type OrderExecutor } from "./executor.ts";
import {
  applyExchangeOrder,
  markOrder,
  orderPatchFromView,
  type OwnStatus,
  ownStatusPatch,
  provisionalOrder,
  recordIntent,
} from "./order_book.ts";
import { legViewFromAlgo } from "./algo_legs.ts";
import { type OrderPush, pushMatches, viewFromPush } from "./order_push.ts";
import { applyRefresh, refreshOrder, type RefreshResult } from "./reconcile.ts";
import type { TradeStore } from "./store.ts";
import { type ExchangeOrderView, isProtectionLeg, type OrderIntent, type OrderRow } from "./types.ts";
import type { ProtectionAlgo } from "../exchange/protection_orders.ts";

export interface OrderTrackerListener {
  /** A new order row was written (it is about to be sent). */
  recorded?(order: OrderRow): void;
  /** An order we hold moved from `before` to `order` (possibly unchanged: the venue's answer matched the row). */
  changed?(order: OrderRow, before: OrderRow): void;
  /** Something worth a line in the run summary. */
  note?(text: string): void;
}

export interface OrderTrackerOptions {
  store: TradeStore;
  executor: OrderExecutor;
  clock: Clock;
  /** How long an order may be unknown to the venue before it is given up on (reconcile.ts's default when unset). */
  notFoundGraceMs?: number;
  listener?: OrderTrackerListener;
}

/**
 * What a pushed update did: moved the row (`applied`), said what it already said (`unchanged`: a duplicate), was
 * older than the row (`stale`: a replay), did not follow it (`gap`: looked up over REST) or was not ours (`unmatched`).
 */
export type PushOutcome = "applied" | "unchanged" | "stale" | "gap" | "unmatched";

/** An intent before it has a client order id: the tracker gives it one. */
export type NewOrder = Omit<OrderIntent, "client_order_id">;

export class OrderTracker {
  /** Orders touched this burst that are not final yet, by row id. */
  readonly #active = new Map<string, OrderRow>();
  /** Orders touched this burst that ended, by row id. */
  readonly #cached = new Map<string, OrderRow>();
  /** Orders given up on: the venue did not know them past the grace period. */
  readonly #lost: OrderRow[] = [];
  #needsHuman: NeedsHumanError | null = null;
  /** When each order was last refreshed (a running count): refreshes within the limits go to the oldest first. */
  readonly #refreshedAt = new Map<string, number>();
  #refreshes = 0;
  /** Orders whose cancel the venue took and whose pushed outcome has not come yet: monotonic ms of the cancel. */
  readonly #cancelRequested = new Map<string, number>();

  constructor(private readonly options: OrderTrackerOptions) {}

  /** Set when the venue refused our keys while an order was being sent; the caller stops once it has tidied up. */
  get needsHuman(): NeedsHumanError | null {
    return this.#needsHuman;
  }

  get active(): readonly OrderRow[] {
    return [...this.#active.values()];
  }

  get lost(): readonly OrderRow[] {
    return this.#lost;
  }

  /** Latest status of every order touched this burst, counted. */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const order of [...this.#active.values(), ...this.#cached.values()]) {
      counts[order.order_status] = (counts[order.order_status] ?? 0) + 1;
    }
    return counts;
  }

  /** Writes the order as pending_submit with a fresh client order id: nothing is sent that is not recorded first. */
  async track(order: NewOrder): Promise<OrderRow> {
    const now = this.options.clock.now();
    const intent: OrderIntent = { client_order_id: newClientOrderId(now.getTime()), ...order };
    const recorded = await recordIntent(this.options.store, intent, now);
    this.#hold(recorded);
    this.options.listener?.recorded?.(recorded);
    return recorded;
  }

  /** track, then send. */
  async place(order: NewOrder): Promise<OrderRow> {
    return await this.send(await this.track(order));
  }

  /**
   * Sends a recorded order once. The venue saying no is final (rejected, with its reason), and so is a request that
   * never left (breaker open, budget spent). Any other failure leaves the outcome unknown: the order is looked up by
   * client order id, never sent again. A venue refusing our keys is recorded and kept in `needsHuman`.
   */
  async send(recorded: OrderRow): Promise<OrderRow> {
    const { store, executor, clock } = this.options;
    let view;
    try {
      view = await executor.create(recorded);
    } catch (error) {
      const reason = `create: ${describeError(error)}`;
      this.#note(`${recorded.client_order_id}: ${reason}`);
      if (error instanceof FinalExchangeError || error instanceof NeedsHumanError || isNotSentError(error)) {
        const rejected = this.#observe(await markOrder(store, recorded, "rejected", reason, clock.now()), recorded);
        if (error instanceof NeedsHumanError) this.#needsHuman ??= error;
        return rejected;
      }
      const unknown = this.#observe(await markOrder(store, recorded, "unknown", reason, clock.now()), recorded);
      if (!(error instanceof ExchangeLayerError)) throw error;
      const found = await this.#lookup(unknown);
      return this.#observe(found.order, unknown);
    }
    const applied = await applyExchangeOrder(store, recorded, view, clock.now());
    if ("ignored" in applied) this.#note(`${recorded.client_order_id}: ${applied.ignored}`);
    return this.#observe(applied.order, recorded);
  }

  /**
   * Sends an order whose record was made before the quote (an armed client order id, pre_armed.ts), then writes its
   * row once, in the state the send left it, through `record` (one round trip; the caller's store decides what else
   * goes with it). Same rules as `send`: the venue saying no is final, a request that never left is rejected, any
   * other failure is unknown and looked up by client order id. When `record` fails the order may be at the venue
   * with only its armed row as a record: the error propagates, and the next reconciliation adopts it from the venue.
   */
  async sendArmed(intent: OrderIntent, record: (order: OrderRow) => Promise<OrderRow>): Promise<OrderRow> {
    const { executor, clock } = this.options;
    const provisional = provisionalOrder(intent, crypto.randomUUID(), clock.now());
    const recordAs = async (patch: Partial<OrderRow> | null): Promise<OrderRow> => {
      const stored = await record({ ...provisional, ...patch });
      this.options.listener?.recorded?.(stored);
      return this.#observe(stored, provisional);
    };
    const recordOwn = (status: OwnStatus, reason: string) =>
      recordAs(ownStatusPatch(provisional, status, reason, clock.now()));
    let view;
    try {
      view = await executor.create(provisional);
    } catch (error) {
      const reason = `create: ${describeError(error)}`;
      this.#note(`${provisional.client_order_id}: ${reason}`);
      if (error instanceof FinalExchangeError || error instanceof NeedsHumanError || isNotSentError(error)) {
        const rejected = await recordOwn("rejected", reason);
        if (error instanceof NeedsHumanError) this.#needsHuman ??= error;
        return rejected;
      }
      const unknown = await recordOwn("unknown", reason);
      if (!(error instanceof ExchangeLayerError)) throw error;
      const found = await this.#lookup(unknown);
      return this.#observe(found.order, unknown);
    }
    const decided = orderPatchFromView(provisional, view, clock.now());
    if ("ignored" in decided) this.#note(`${provisional.client_order_id}: ${decided.ignored}`);
    return await recordAs("ignored" in decided ? null : decided.patch);
  }

  /**
   * Records both legs of a protection list (one list id, one client order id each), then sends them once as one
   * list, with `send`'s rules: the venue saying no rejects both, an unknown outcome looks both up by client order id.
   * Returns the legs as stored afterwards. Needs an executor that can place protection.
   */
  async placeProtection(
    takeProfit: NewOrder,
    stopLoss: NewOrder,
  ): Promise<{ takeProfit: OrderRow; stopLoss: OrderRow }> {
    const { store, executor, clock } = this.options;
    if (!executor.createProtection) throw new Error(`the ${executor.mode} executor cannot place protection`);
    const listId = newClientOrderId(clock.now().getTime());
    // Recorded together: a store that batches writes records both legs in one round trip.
    const [tp, sl] = await Promise.all([
      this.track({ ...takeProfit, list_client_id: listId }),
      this.track({ ...stopLoss, list_client_id: listId }),
    ]);
    let answer;
    try {
      answer = await executor.createProtection({ takeProfit: tp, stopLoss: sl });
    } catch (error) {
      const reason = `create protection: ${describeError(error)}`;
      this.#note(`${listId}: ${reason}`);
      if (error instanceof FinalExchangeError || error instanceof NeedsHumanError || isNotSentError(error)) {
        if (error instanceof NeedsHumanError) this.#needsHuman ??= error;
        return {
          takeProfit: this.#observe(await markOrder(store, tp, "rejected", reason, clock.now()), tp),
          stopLoss: this.#observe(await markOrder(store, sl, "rejected", reason, clock.now()), sl),
        };
      }
      // Outcome unknown: both legs become unknown; an exchange-layer failure is then looked up by client order id.
      const settle = async (leg: OrderRow): Promise<OrderRow> => {
        const unknown = this.#observe(await markOrder(store, leg, "unknown", reason, clock.now()), leg);
        if (!(error instanceof ExchangeLayerError)) return unknown;
        return this.#observe((await this.#lookup(unknown)).order, unknown);
      };
      const takeProfitLeg = await settle(tp);
      const stopLossLeg = await settle(sl);
      if (!(error instanceof ExchangeLayerError)) throw error;
      return { takeProfit: takeProfitLeg, stopLoss: stopLossLeg };
    }
    // One update per leg: the list id goes with the leg's first state.
    const alongside = answer.exchangeListId ? { exchange_list_id: answer.exchangeListId } : {};
    const apply = async (leg: OrderRow, view: ExchangeOrderView) => {
      const applied = await applyExchangeOrder(store, leg, view, clock.now(), alongside);
      if ("ignored" in applied) this.#note(`${leg.client_order_id}: ${applied.ignored}`);
      return this.#observe(applied.order, leg);
    };
    return { takeProfit: await apply(tp, answer.takeProfit), stopLoss: await apply(sl, answer.stopLoss) };
  }

  /**
   * Cancels at the venue and applies its answer (the filled part is kept). An order the venue does not know expires.
   * With `outcomeByPush`, a cancel the venue took whose answer does not say how the order ended leaves the row to its
   * pushed update (cancelRequestedMsAgo tells how long it has waited for it).
   * Exchange errors are noted and leave the row as it is (the next refresh sees what happened); NeedsHumanError and
   * anything that is not an exchange error propagate.
   */
  async cancel(order: OrderRow, options?: CancelOptions): Promise<void> {
    const { store, executor, clock } = this.options;
    // A cancel asked for again (its push never came) starts over: its own outcome decides.
    this.#cancelRequested.delete(order.id);
    try {
      const view = await executor.cancel(order, options);
      if (view === CANCEL_REQUESTED) {
        // The row stays as it is until the push: what filled before the cancel is only known then.
        this.#cancelRequested.set(order.id, clock.monotonicMs());
        return;
      }
      if (view === null) {
        const reason = "cancel: the venue does not know this order";
        this.#observe(await markOrder(store, order, "expired", reason, clock.now()), order);
        return;
      }
      const applied = await applyExchangeOrder(store, order, view, clock.now());
      if ("ignored" in applied) this.#note(`${order.client_order_id}: ${applied.ignored}`);
      this.#observe(applied.order, order);
    } catch (error) {
      if (!(error instanceof ExchangeLayerError) || error instanceof NeedsHumanError) throw error;
      this.#note(`cancel ${order.client_order_id}: ${describeError(error)}`);
    }
  }

  /**
   * How long ago the venue took a cancel of this order whose outcome its stream is to push; undefined when there is
   * none (never asked, or the order has ended since).
   */
  cancelRequestedMsAgo(order: OrderRow): number | undefined {
    const at = this.#cancelRequested.get(order.id);
    return at === undefined ? undefined : this.options.clock.monotonicMs() - at;
  }

  /** Entry orders the venue's limits let out now (executor.affordableEntries); Infinity without limits. */
  affordableEntries(): number {
    return this.options.executor.affordableEntries?.() ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Brings every working (non-final) order of the venue and mode up to date. Where the venue lists its open orders
   * more cheaply than single lookups, one list request answers for every order still on it, and only the ones that
   * left it (filled, cancelled, expired) are looked up on their own. A failed list request is noted and the tick goes
   * on (the next one tries again). `only` narrows the refresh to the orders it accepts.
   *
   * With `withinLimits`, it makes only the requests the venue's limits let out now (executor.affordableRefreshes)
   * and leaves the rest to a later call, those refreshed longest ago going first: a polled tick keeps its cadence
   * instead of waiting for weight, and every order the burst acts on (cancel, exit) is read from the venue's answer
   * anyway, so an order refreshed a tick later is never acted on blind.
   */
  async refreshWorking(
    venue: OrderRow["venue"],
    mode: TradingMode,
    only: (order: OrderRow) => boolean = () => true,
    { withinLimits = false }: { withinLimits?: boolean } = {},
  ): Promise<void> {
    const { store, executor, clock, notFoundGraceMs } = this.options;
    let working = (await store.listNonFinalOrders(venue, mode)).filter(only);
    if (working.length === 0) return;
    const affordable = withinLimits ? executor.affordableRefreshes?.() : undefined;
    let lookupsLeft = affordable?.lookups ?? Number.POSITIVE_INFINITY;
    if (affordable) {
      const order = (o: OrderRow) => this.#refreshedAt.get(o.id) ?? -1;
      working = [...working].sort((a, b) => order(a) - order(b));
    }
    let listed: ExchangeOrderView[] | null = null;
    if (executor.listOpen && executor.prefersOpenList?.(working.length) && (affordable?.openList ?? true)) {
      try {
        listed = await executor.listOpen();
      } catch (error) {
        if (!(error instanceof ExchangeLayerError) || error instanceof NeedsHumanError) throw error;
        this.#note(`open orders: ${describeError(error)}`);
        return;
      }
    }
    const refreshes: Promise<void>[] = [];
    for (const order of working) {
      // Orders recorded but never acknowledged have no exchange id: matched by our client order id.
      const view = listed?.find((v) =>
        (order.exchange_order_id !== null && v.exchangeOrderId === order.exchange_order_id) ||
        v.clientOrderId === order.client_order_id
      );
      if (!view) {
        if (lookupsLeft < 1) continue;
        lookupsLeft -= 1;
      }
      this.#refreshedAt.set(order.id, this.#refreshes++);
      refreshes.push((async () => {
        const result = view
          ? await applyRefresh(store, order, view, { now: clock.now(), graceMs: notFoundGraceMs })
          : await this.#lookup(order);
        this.#observeRefresh(result, order);
        if (result.detail) this.#note(`${order.client_order_id}: ${result.detail}`);
      })());
    }
    // The lookups run together (each its own row; our limiter spaces the requests), so a tick waits for the slowest
    // rather than for their sum. All end before the first failure (a refused key) is thrown.
    const failed = (await Promise.allSettled(refreshes)).find((r): r is PromiseRejectedResult =>
      r.status === "rejected"
    );
    if (failed) throw failed.reason;
  }

  /**
   * Applies one pushed order update (a private stream) through the path REST lookups use, so a duplicated or
   * replayed update changes nothing. An update for none of our working orders is `unmatched` (another client's
   * order, or one already final here); one that does not follow the fill we hold (`gap`) is looked up over REST.
   */
  async applyPush(venue: OrderRow["venue"], mode: TradingMode, push: OrderPush): Promise<PushOutcome> {
    const { store, clock, notFoundGraceMs } = this.options;
    const order = (await store.listNonFinalOrders(venue, mode)).find((o) => pushMatches(o, push));
    if (!order) return "unmatched";
    const decided = viewFromPush(order, push);
    if ("stale" in decided) return "stale";
    const result = "gap" in decided
      ? await this.#lookup(order)
      : await applyRefresh(store, order, decided.view, { now: clock.now(), graceMs: notFoundGraceMs });
    this.#observeRefresh(result, order);
    if ("gap" in decided) this.#note(`${order.client_order_id}: ${decided.gap}; looked up`);
    else if (result.detail) this.#note(`${order.client_order_id}: ${result.detail}`);
    if ("gap" in decided) return "gap";
    return result.note === "updated" ? "applied" : result.note === "unchanged" ? "unchanged" : "stale";
  }

  /**
   * Applies one pushed protection algo (OKX's orders-algo channel) to its legs as a REST read of the algo would
   * (legViewFromAlgo): live → open, cancelled or failed → final, fired → the sibling cancelled and the fired leg bound
   * to the order the algo created (its `exchange_order_id`), from then on updated by that order's own pushes. Returns
   * the order id it bound, if any, so the caller can apply that order's updates that came first.
   */
  async applyAlgoPush(
    venue: OrderRow["venue"],
    mode: TradingMode,
    algo: ProtectionAlgo,
  ): Promise<{ outcome: "applied" | "unchanged" | "unmatched"; bound: string | null }> {
    const { store, clock, notFoundGraceMs } = this.options;
    const legs = (await store.listNonFinalOrders(venue, mode)).filter((o) =>
      isProtectionLeg(o) && o.exchange_order_id === null &&
      (o.exchange_list_id === algo.algoId || (algo.listClientId !== null && o.list_client_id === algo.listClientId))
    );
    if (legs.length === 0) return { outcome: "unmatched", bound: null };
    let outcome: "applied" | "unchanged" = "unchanged";
    let bound: string | null = null;
    for (const leg of legs) {
      const fired = algo.state === "triggered" && algo.triggeredLeg === leg.purpose;
      let result: RefreshResult;
      if (fired && algo.orderId === null) {
        // Fired without naming the order it created: nothing to bind, so the leg is read over REST.
        result = await this.#lookup(leg);
      } else {
        const view = legViewFromAlgo(leg, algo, null);
        const withOrder = fired ? { ...view, exchangeOrderId: algo.orderId } : view;
        result = await applyRefresh(store, leg, withOrder, { now: clock.now(), graceMs: notFoundGraceMs });
      }
      this.#observeRefresh(result, leg);
      if (result.detail) this.#note(`${leg.client_order_id}: ${result.detail}`);
      if (result.note === "updated") outcome = "applied";
      if (fired) bound = result.order.exchange_order_id;
    }
    return { outcome, bound };
  }

  async #lookup(order: OrderRow): Promise<RefreshResult> {
    const { store, executor, clock, notFoundGraceMs } = this.options;
    const result = await refreshOrder(store, executor, order, { now: clock.now(), graceMs: notFoundGraceMs });
    if (result.note === "lost") this.#lost.push(result.order);
    return result;
  }

  #hold(order: OrderRow): void {
    if (isFinalStatus(order.order_status)) {
      this.#cancelRequested.delete(order.id);
      this.#active.delete(order.id);
      this.#cached.set(order.id, order);
    } else {
      this.#cached.delete(order.id);
      this.#active.set(order.id, order);
    }
  }

  /** A refresh (REST or pushed) that moved the row: held and told to the listener. */
  #observeRefresh(result: RefreshResult, before: OrderRow): void {
    if (result.note !== "unchanged" && result.note !== "not_found_yet") this.#observe(result.order, before);
  }

  #observe(order: OrderRow, before: OrderRow): OrderRow {
    this.#hold(order);
    this.options.listener?.changed?.(order, before);
    return order;
  }

  #note(text: string): void {
    this.options.listener?.note?.(text);
  }
}
