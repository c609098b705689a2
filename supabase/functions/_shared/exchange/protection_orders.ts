/**
 * Protection lists on a venue: a take-profit limit sell and a stop sell of the same amount, linked by the venue so
 * that one filling cancels the other. Which method a venue uses is its `protection` fact in venues.ts.
 *
 * - Binance spot: `POST /api/v3/orderList/oco`. ccxt 4.5.84 has no unified OCO for spot (its createOrder takes one
 *   stopLossPrice or takeProfitPrice, not both as a list), so this goes through ccxt's implicit endpoint
 *   `privatePostOrderListOco`: above a LIMIT_MAKER (the take profit, a maker fill at the target), below a
 *   STOP_LOSS_LIMIT (trigger `belowStopPrice`, limit `belowPrice`, GTC). Both legs are ordinary orders afterwards:
 *   looked up, and cancelled (which cancels the list), by their own ids like any other.
 * - OKX: not implemented yet (its `oco` algo order has one algoId for both legs and no order until it triggers, so
 *   the legs cannot be looked up as orders); its fact is null and the burst decides OKX exits itself.
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
