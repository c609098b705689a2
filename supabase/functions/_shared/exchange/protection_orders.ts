/**
 * Protection lists on a venue: a take-profit limit sell and a stop sell of the same amount, linked by the venue so
 * that one filling cancels the other. Which method a venue uses is its `protection` fact in venues.ts.
 *
 * - Binance spot: `POST /api/v3/orderList/oco`. ccxt 4.5.84 has no unified OCO for spot (its createOrder takes one
 *   stopLossPrice or takeProfitPrice, not both as a list), so this goes through ccxt's implicit endpoint
 *   `privatePostOrderListOco`: above a LIMIT_MAKER (the take profit, a maker fill at the target), below a
 *   STOP_LOSS_LIMIT (trigger `belowStopPrice`, limit `belowPrice`, GTC). Both legs are ordinary orders afterwards:
 *   looked up, and cancelled (which cancels the list), by their own ids like any other.
 * - OKX spot: `POST /api/v5/trade/order-algo` with `ordType: "oco"`, through ccxt's unified createOrder(type "oco",
 *   params takeProfitPrice/tpOrdPx, stopLossPrice/slOrdPx), which routes there. Both legs are trigger orders: OKX's
 *   spot oco has no resting maker leg, so the take profit is a limit at the target (`tpOrdPx` = `tpTriggerPx`, never
 *   below the target) placed when the trigger fires, and the stop a limit a band below its trigger. `tdMode: "cash"`
 *   is passed explicitly: ccxt 4.5.84 otherwise sends its default margin mode ("cross") for spot algo orders, which on
 *   a margin-enabled account is a margin sell that may borrow the base once it is gone. Our list client id is the
 *   algo's `algoClOrdId`. One algoId stands for both legs and no order exists until a trigger fires, so the legs are
 *   read from the algo: lookups go through ccxt's unified fetchOrder / fetchOpenOrders / cancelOrder with
 *   `trigger: true` / `ordType: "oco"` (GET order-algo, GET orders-algo-pending, POST cancel-algos), and each answer's
 *   raw `info` is validated here (okxAlgoFromInfo): its state (live / effective / canceled / order_failed), the leg
 *   that fired (`actualSide` tp / sl) and the order it created (`ordIdList`, `ordId`), which is then an ordinary order.
 */
import { z } from "zod";

export interface ProtectionListRequest {
  symbol: string;
  amount: number;
  takeProfit: { price: number; clientOrderId: string };
  stopLoss: { triggerPrice: number; price: number; clientOrderId: string };
  listClientId: string;
}

/** The venue's list id and each leg as `normalize` made it (the venue client's validated order). */
export interface ProtectionListAnswer<Order> {
  listId: string | null;
  takeProfit: Order;
  stopLoss: Order;
}

/** The members of a ccxt binance instance this needs (the implicit endpoint and ccxt's own formatting/parsing). */
export interface BinanceOcoExchange {
  market(symbol: string): { id: string };
  amountToPrecision(symbol: string, amount: number): string;
  priceToPrecision(symbol: string, price: number): string;
  parseOrder(order: Record<string, unknown>, market?: unknown): unknown;
  privatePostOrderListOco(params: Record<string, unknown>): Promise<unknown>;
}

/** The request body of Binance's new OCO endpoint for a long's protection. */
export function binanceOcoParams(exchange: BinanceOcoExchange, req: ProtectionListRequest): Record<string, string> {
  const { symbol } = req;
  return {
    symbol: exchange.market(symbol).id,
    side: "SELL",
    quantity: exchange.amountToPrecision(symbol, req.amount),
    listClientOrderId: req.listClientId,
    aboveType: "LIMIT_MAKER",
    abovePrice: exchange.priceToPrecision(symbol, req.takeProfit.price),
    aboveClientOrderId: req.takeProfit.clientOrderId,
    belowType: "STOP_LOSS_LIMIT",
    belowStopPrice: exchange.priceToPrecision(symbol, req.stopLoss.triggerPrice),
    belowPrice: exchange.priceToPrecision(symbol, req.stopLoss.price),
    belowTimeInForce: "GTC",
    belowClientOrderId: req.stopLoss.clientOrderId,
    newOrderRespType: "FULL",
  };
}

const ocoAnswerSchema = z.object({
  orderListId: z.union([z.number(), z.string()]),
  orderReports: z.array(z.object({ clientOrderId: z.string() }).passthrough()).min(2),
});

export class InvalidProtectionAnswerError extends Error {
  override name = "InvalidProtectionAnswerError";
}

/**
 * Picks each leg's report out of the answer by its client order id and parses it as ccxt would parse the order.
 * `normalize` is the venue client's order validation.
 */
export function parseBinanceOcoAnswer<Order>(
  exchange: Pick<BinanceOcoExchange, "parseOrder" | "market">,
  req: ProtectionListRequest,
  raw: unknown,
  normalize: (order: unknown) => Order,
): ProtectionListAnswer<Order> {
  const parsed = ocoAnswerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join(".") || "answer"}: ${issue.message}` : "answer: invalid";
    throw new InvalidProtectionAnswerError(`orderList/oco: ${where}`);
  }
  const report = (clientOrderId: string) => {
    const found = parsed.data.orderReports.find((r) => r.clientOrderId === clientOrderId);
    if (!found) throw new InvalidProtectionAnswerError(`orderList/oco: no report for leg ${clientOrderId}`);
    return normalize(exchange.parseOrder(found, exchange.market(req.symbol)));
  };
  return {
    listId: String(parsed.data.orderListId),
    takeProfit: report(req.takeProfit.clientOrderId),
    stopLoss: report(req.stopLoss.clientOrderId),
  };
}

// ---- OKX oco algo orders ----------------------------------------------------------------------------------------

/** The ccxt params of createOrder(symbol, "oco", "sell", amount, undefined, params) for a long's protection. */
export function okxOcoParams(req: ProtectionListRequest): Record<string, unknown> {
  return {
    takeProfitPrice: req.takeProfit.price,
    tpOrdPx: req.takeProfit.price,
    stopLossPrice: req.stopLoss.triggerPrice,
    slOrdPx: req.stopLoss.price,
    tdMode: "cash",
    algoClOrdId: req.listClientId,
  };
}

/** Our reading of an OKX algo state: live (pause counts: it may resume), fired, cancelled, or fired and failed. */
export type ProtectionAlgoState = "live" | "triggered" | "cancelled" | "failed";

/** An OKX oco algo as the venue answered it. */
export interface ProtectionAlgo {
  algoId: string;
  /** Our list client id (algoClOrdId); null when the venue sent none. */
  listClientId: string | null;
  /** The venue's instId. */
  instId: string;
  state: ProtectionAlgoState;
  /** The leg whose trigger fired (actualSide tp / sl), null before. */
  triggeredLeg: "take_profit" | "stop_loss" | null;
  /** The order the fired leg created (an ordinary order from then on), null before or when it failed. */
  orderId: string | null;
  raw: unknown;
}

const ALGO_STATES: Readonly<Record<string, ProtectionAlgoState>> = {
  live: "live",
  pause: "live",
  effective: "triggered",
  partially_effective: "triggered",
  canceled: "cancelled",
  order_failed: "failed",
  partially_failed: "failed",
};

const okxAlgoSchema = z.object({
  algoId: z.string().min(1),
  algoClOrdId: z.string().optional(),
  instId: z.string().min(1),
  state: z.string().refine((s) => Object.hasOwn(ALGO_STATES, s), "unknown algo state"),
  actualSide: z.string().optional(),
  ordId: z.string().optional(),
  ordIdList: z.array(z.string()).optional(),
});

/** Validates one algo's raw answer (ccxt's `info` of an algo order) and reads what the legs need from it. */
export function okxAlgoFromInfo(info: unknown): ProtectionAlgo {
  const parsed = okxAlgoSchema.safeParse(info);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join(".") || "answer"}: ${issue.message}` : "answer: invalid";
    throw new InvalidProtectionAnswerError(`order-algo: ${where}`);
  }
  const a = parsed.data;
  const state = ALGO_STATES[a.state]!;
  const side = a.actualSide === "tp" ? "take_profit" : a.actualSide === "sl" ? "stop_loss" : null;
  if (state === "triggered" && side === null) {
    throw new InvalidProtectionAnswerError(`order-algo ${a.algoId}: ${a.state} without actualSide tp/sl`);
  }
  // ordIdList is where OKX lists the orders an algo created (ordId is deprecated but still sent).
  const orderId = a.ordIdList?.find((id) => id !== "") ?? (a.ordId ? a.ordId : null);
  return {
    algoId: a.algoId,
    listClientId: a.algoClOrdId ? a.algoClOrdId : null,
    instId: a.instId,
    state,
    triggeredLeg: state === "live" || state === "cancelled" ? null : side,
    orderId: state === "triggered" ? orderId : null,
    raw: info,
  };
}

const placedAlgoSchema = z.object({ id: z.string().min(1) });

/** The algoId in ccxt's answer to the oco placement (its order id is the algoId). */
export function okxPlacedAlgoId(answer: unknown): string {
  const parsed = placedAlgoSchema.safeParse(answer);
  if (!parsed.success) throw new InvalidProtectionAnswerError("order-algo: the answer carries no algoId");
  return parsed.data.id;
}
