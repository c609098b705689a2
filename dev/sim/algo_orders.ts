// Algo (trigger) orders in the OKX sense: a take profit and/or a stop loss on one symbol and side that lock nothing and
// sit off the book until the price path crosses a trigger; then the algo places its order (market, or limit at its
// order price) and is "effective". An OCO has both legs: the first trigger wins. Attached algos (placed with an entry
// order) wait for that order to finish and then go live for the amount it filled.

import { SimRejection } from "./rejection.ts";
import type { OrderSide, PlaceOrderRequest, Quote, SimOrder } from "./types.ts";

export interface AlgoSpec {
  symbol: string;
  side: OrderSide;
  amount: number;
  /** take profit trigger; `tpPrice` undefined = market order */
  tpTrigger?: number;
  tpPrice?: number;
  slTrigger?: number;
  slPrice?: number;
  clientAlgoId?: string;
  /** the trade mode the algo was placed with (echoed in its answers; attached algos take their entry's) */
  tdMode?: string;
}

export type AlgoState = "live" | "effective" | "canceled" | "order_failed";

export interface SimAlgo extends AlgoSpec {
  algoId: string;
  accountId: string;
  /** "oco" with both legs, "conditional" with one */
  kind: "oco" | "conditional";
  state: AlgoState;
  /** which leg fired */
  actualSide?: "tp" | "sl";
  /** the order it placed */
  orderId?: string;
  /** the entry order it is attached to (then it waits for that order first) */
  entryOrderId?: string;
  /** waiting for the entry order to finish */
  waitingForEntry: boolean;
  createdAt: number;
  updatedAt: number;
  triggeredAt?: number;
}

export interface AlgoDeps {
  now(): number;
  placeOrder(accountId: string, req: PlaceOrderRequest): SimOrder;
  getOrder(accountId: string, orderId: string): SimOrder;
}

export class AlgoBook {
  private readonly algos = new Map<string, SimAlgo>();
  /** Called with a copy of an algo each time it is placed or its state changes (OKX's orders-algo channel). */
  readonly observers = new Set<(algo: SimAlgo) => void>();
  private nextId: number;
  private nextClientId = 1;

  constructor(private readonly deps: AlgoDeps, idStart: number) {
    this.nextId = idStart;
  }

  /** A live algo now, or (with `entryOrderId`) one that goes live when that order is done. */
  add(accountId: string, spec: AlgoSpec, entryOrderId?: string): SimAlgo {
    const hasTp = spec.tpTrigger !== undefined;
    const hasSl = spec.slTrigger !== undefined;
    if (!hasTp && !hasSl) throw new SimRejection("invalid_parameter", "a take profit or a stop loss trigger is needed");
    for (const algo of this.algos.values()) {
      if (
        spec.clientAlgoId !== undefined && algo.accountId === accountId && algo.clientAlgoId === spec.clientAlgoId &&
        (algo.state === "live")
      ) {
        throw new SimRejection("duplicate_client_order_id", `algoClOrdId already used: ${spec.clientAlgoId}`);
      }
    }
    const now = this.deps.now();
    const algo: SimAlgo = {
      ...spec,
      clientAlgoId: spec.clientAlgoId ?? `simalgo${this.nextClientId++}`,
      algoId: String(this.nextId++),
      accountId,
      kind: hasTp && hasSl ? "oco" : "conditional",
      state: "live",
      entryOrderId,
      waitingForEntry: entryOrderId !== undefined,
      createdAt: now,
      updatedAt: now,
    };
    this.algos.set(algo.algoId, algo);
    this.emit(algo);
    return { ...algo };
  }

  private emit(algo: SimAlgo): void {
    for (const observer of this.observers) observer({ ...algo });
  }

  get(accountId: string, ref: { algoId?: string; clientAlgoId?: string }): SimAlgo {
    let found: SimAlgo | undefined;
    if (ref.algoId !== undefined) found = this.algos.get(ref.algoId);
    else if (ref.clientAlgoId !== undefined) {
      for (const a of this.algos.values()) {
        if (a.accountId === accountId && a.clientAlgoId === ref.clientAlgoId) found = a;
      }
    }
    if (!found || found.accountId !== accountId) throw new SimRejection("order_not_found", "algo order does not exist");
    return { ...found };
  }

  /** The account's algos, oldest first (waiting attached ones included: they are live at the venue too). */
  list(accountId: string): SimAlgo[] {
    return [...this.algos.values()].filter((a) => a.accountId === accountId).map((a) => ({ ...a }));
  }

  cancel(accountId: string, algoId: string): SimAlgo {
    const algo = this.algos.get(algoId);
    if (!algo || algo.accountId !== accountId) throw new SimRejection("order_not_found", "algo order does not exist");
    if (algo.state !== "live") throw new SimRejection("order_not_open", `algo order is ${algo.state}`);
    algo.state = "canceled";
    algo.updatedAt = this.deps.now();
    this.emit(algo);
    return { ...algo };
  }

  /** Attached algos whose entry order is done go live for what it filled (or are cancelled if it filled nothing). */
  sweepEntries(): void {
    for (const algo of this.algos.values()) {
      if (!algo.waitingForEntry || algo.state !== "live") continue;
      const entry = this.deps.getOrder(algo.accountId, algo.entryOrderId!);
      if (entry.status === "new" || entry.status === "partially_filled") continue;
      algo.waitingForEntry = false;
      algo.updatedAt = this.deps.now();
      if (entry.filled > 0) algo.amount = entry.filled;
      else algo.state = "canceled";
      this.emit(algo);
    }
  }

  /** The symbol's quote moved: fire every live algo whose trigger it crossed. */
  onQuote(symbol: string, quote: Quote): void {
    for (const algo of [...this.algos.values()]) {
      if (algo.symbol !== symbol || algo.state !== "live" || algo.waitingForEntry) continue;
      // A sell closes a long: take profit above (the bid rises to it), stop loss below (the bid falls to it).
      // A buy closes a short: take profit below (the ask falls to it), stop loss above (the ask rises to it).
      const px = algo.side === "sell" ? quote.bid : quote.ask;
      const tpHit = algo.tpTrigger !== undefined &&
        (algo.side === "sell" ? px >= algo.tpTrigger : px <= algo.tpTrigger);
      const slHit = algo.slTrigger !== undefined &&
        (algo.side === "sell" ? px <= algo.slTrigger : px >= algo.slTrigger);
      if (tpHit) this.fire(algo, "tp");
      else if (slHit) this.fire(algo, "sl");
    }
  }

  private fire(algo: SimAlgo, leg: "tp" | "sl"): void {
    const now = this.deps.now();
    const price = leg === "tp" ? algo.tpPrice : algo.slPrice;
    algo.actualSide = leg;
    algo.triggeredAt = now;
    algo.updatedAt = now;
    try {
      const order = this.deps.placeOrder(algo.accountId, {
        symbol: algo.symbol,
        side: algo.side,
        type: price === undefined ? "market" : "limit",
        amount: algo.amount,
        price,
        timeInForce: price === undefined ? undefined : "GTC",
      });
      algo.orderId = order.orderId;
      algo.state = "effective";
    } catch (error) {
      if (!(error instanceof SimRejection)) throw error;
      algo.state = "order_failed";
    }
    this.emit(algo);
  }
}
