/**
 * A position's protection held as ONE algo order at the venue (OKX's `oco`, venues.ts fact `order-algo/oco`), kept as
 * TWO `orders` rows like any other protection, so the tracker, the positions and the reconciler treat every venue's
 * legs alike.
 *
 * How the two rows map onto the one algo (the choice this file implements):
 * - Each leg is its own row: purpose take_profit / stop_loss, its own client order id, both with the same
 *   `list_client_id` (sent as the algo's `algoClOrdId`) and, once the venue answered, the algoId as
 *   `exchange_list_id`. While the algo is live there is no order at the venue, so neither row has an
 *   `exchange_order_id`.
 * - The algo's state decides both rows: live → both `open`; canceled → both `cancelled`; effective → the leg named by
 *   the algo's `actualSide` (tp / sl) takes the order the algo created as its `exchange_order_id` and from then on is
 *   read as that ordinary order (fills, fees, its own status), and the sibling is `cancelled` (OKX cancelled it when
 *   the other fired); order_failed → the fired leg is `rejected` and the sibling `cancelled` (the position holds its
 *   base unprotected, and the burst protects it again).
 * - Both legs share the venue's answers: live algos come from one pending-list request, reused for POLL_MS (a row
 *   may read `open` that long after its trigger fired; every decision that matters, a cancel before our own exit,
 *   asks the venue afresh). A final algo never changes, so its answer is kept: the sibling of a leg just read costs no
 *   request.
 */
import { FinalExchangeError, isOrderNotFound } from "../exchange/errors.ts";
import type { ProtectionAlgo } from "../exchange/protection_orders.ts";
import type { VenueClient } from "../exchange/venue_client.ts";
import type { ProtectionLegs, ProtectionView } from "./executor.ts";
import type { ExchangeOrderView, OrderRow } from "./types.ts";

/** How long one pending-list answer stands for every live algo (OKX: 20 list requests per 2 s; this takes 1 a s). */
export const POLL_MS = 1_000;

/** The venue-client members this needs (present on venues whose protection fact is `order-algo/oco`). */
export type AlgoClient = Required<
  Pick<
    VenueClient,
    "createProtectionAlgo" | "fetchProtectionAlgo" | "fetchOpenProtectionAlgos" | "cancelProtectionAlgo"
  >
>;

export function isAlgoClient(client: Partial<AlgoClient>): client is AlgoClient {
  return client.createProtectionAlgo !== undefined && client.fetchProtectionAlgo !== undefined &&
    client.fetchOpenProtectionAlgos !== undefined && client.cancelProtectionAlgo !== undefined;
}

/**
 * One leg's view given its algo (pure). `triggered` is the view of the order the algo created, read by the caller
 * when this leg is the one that fired; without it a fired leg reads as still open (its order not readable yet).
 */
export function legViewFromAlgo(
  leg: Pick<OrderRow, "purpose" | "client_order_id" | "amount">,
  algo: ProtectionAlgo,
  triggered: ExchangeOrderView | null,
): ExchangeOrderView {
  const base: ExchangeOrderView = {
    exchangeOrderId: null,
    clientOrderId: leg.client_order_id,
    status: "open",
    filled: 0,
    remaining: leg.amount,
    average: null,
    cost: 0,
    feeCost: null,
    feeCurrency: null,
    raw: { algo: algo.raw },
  };
  const fired = algo.triggeredLeg === leg.purpose;
  switch (algo.state) {
    case "live":
      return base;
    case "cancelled":
      return { ...base, status: "cancelled", remaining: 0 };
    case "failed":
      // Which leg fired may be missing from a failed answer: then neither sold, and both end.
      return { ...base, status: fired || algo.triggeredLeg === null ? "rejected" : "cancelled", remaining: 0 };
    case "triggered":
      if (!fired) return { ...base, status: "cancelled", remaining: 0 };
      return triggered ? { ...triggered, raw: { algo: algo.raw, order: triggered.raw } } : base;
  }
}

export interface AlgoLegsOptions {
  /** Monotonic ms (the pending list's age). Default performance.now. */
  nowMs?: () => number;
  /** The view of an ordinary order by its venue id (the executor's lookup, fees included). */
  readOrder: (order: OrderRow, exchangeOrderId: string) => Promise<ExchangeOrderView | null>;
}

export class AlgoLegs {
  /** Final algos by algoId: they never change again. */
  readonly #final = new Map<string, ProtectionAlgo>();
  /** The last pending-list answer: live algos by algoId and by our list client id. */
  #live: { atMs: number; byId: Map<string, ProtectionAlgo>; byClientId: Map<string, ProtectionAlgo> } | null = null;
  readonly #nowMs: () => number;

  constructor(private readonly client: AlgoClient, private readonly options: AlgoLegsOptions) {
    this.#nowMs = options.nowMs ?? (() => performance.now());
  }

  /** Places the oco for both legs (sent once). Both read open: the algo rests, no order exists yet. */
  async place({ takeProfit, stopLoss }: ProtectionLegs): Promise<ProtectionView> {
    if (stopLoss.trigger_price == null || stopLoss.price === null || takeProfit.price === null) {
      throw new FinalExchangeError("a protection list needs the take profit's price and the stop's trigger and limit");
    }
    const listClientId = takeProfit.list_client_id ?? takeProfit.client_order_id;
    const { algoId } = await this.client.createProtectionAlgo({
      symbol: takeProfit.symbol,
      amount: takeProfit.amount,
      listClientId,
      takeProfit: { price: takeProfit.price, clientOrderId: takeProfit.client_order_id },
      stopLoss: {
        triggerPrice: stopLoss.trigger_price,
        price: stopLoss.price,
        clientOrderId: stopLoss.client_order_id,
      },
    });
    const live: ProtectionAlgo = {
      algoId,
      listClientId,
      instId: "",
      state: "live",
      triggeredLeg: null,
      orderId: null,
      raw: { algoId, algoClOrdId: listClientId },
    };
    // Known live as of now: the next ticks need not ask for it singly before the list is read again.
    this.#live?.byId.set(algoId, live);
    this.#live?.byClientId.set(listClientId, live);
    return {
      exchangeListId: algoId,
      takeProfit: legViewFromAlgo(takeProfit, live, null),
      stopLoss: legViewFromAlgo(stopLoss, live, null),
    };
  }

  /**
   * The leg's view, or null when the venue knows no such algo. `fresh` skips the pending list (after a cancel, or
   * whenever a stale "live" would mislead).
   */
  async view(leg: OrderRow, { fresh = false } = {}): Promise<ExchangeOrderView | null> {
    const algo = await this.#algo(leg, fresh);
    if (algo === null) return null;
    let triggered: ExchangeOrderView | null = null;
    if (algo.state === "triggered" && algo.triggeredLeg === leg.purpose && algo.orderId) {
      triggered = await this.options.readOrder(leg, algo.orderId);
    }
    return legViewFromAlgo(leg, algo, triggered);
  }

  /** Cancels the leg's algo (and with it the sibling), then reads what the venue says now. */
  async cancel(leg: OrderRow): Promise<ExchangeOrderView | null> {
    let algoId = leg.exchange_list_id ?? null;
    if (algoId !== null && this.#final.has(algoId)) return await this.view(leg);
    if (algoId === null) {
      const found = await this.#algo(leg, true);
      if (found === null) return null;
      if (found.state !== "live") return await this.view(leg);
      algoId = found.algoId;
    }
    try {
      await this.client.cancelProtectionAlgo(algoId, leg.symbol);
    } catch (error) {
      // No longer live (fired, cancelled): what matters is its state now, read below.
      if (!(error instanceof FinalExchangeError)) throw error;
    }
    this.#live?.byId.delete(algoId);
    if (leg.list_client_id) this.#live?.byClientId.delete(leg.list_client_id);
    return await this.view(leg, { fresh: true });
  }

  async #algo(leg: OrderRow, fresh: boolean): Promise<ProtectionAlgo | null> {
    const algoId = leg.exchange_list_id ?? null;
    const cached = algoId !== null ? this.#final.get(algoId) : undefined;
    if (cached) return cached;
    if (!fresh) {
      const live = await this.#pending();
      const listed = (algoId !== null ? live.byId.get(algoId) : undefined) ??
        (leg.list_client_id ? live.byClientId.get(leg.list_client_id) : undefined);
      if (listed) return listed;
    }
    let algo: ProtectionAlgo;
    try {
      algo = await this.client.fetchProtectionAlgo({ algoId, listClientId: leg.list_client_id ?? null }, leg.symbol);
    } catch (error) {
      if (isOrderNotFound(error)) return null;
      throw error;
    }
    if (algo.state !== "live") this.#final.set(algo.algoId, algo);
    return algo;
  }

  async #pending() {
    const now = this.#nowMs();
    if (this.#live !== null && now - this.#live.atMs < POLL_MS) return this.#live;
    const algos = await this.client.fetchOpenProtectionAlgos();
    const byId = new Map(algos.map((a) => [a.algoId, a]));
    const byClientId = new Map(algos.filter((a) => a.listClientId).map((a) => [a.listClientId!, a]));
    this.#live = { atMs: now, byId, byClientId };
    return this.#live;
  }
}
