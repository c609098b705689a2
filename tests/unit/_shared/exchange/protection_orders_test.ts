import assert from "node:assert/strict";
import ccxt from "ccxt";
import {
  type BinanceOcoExchange,
  binanceOcoParams,
  InvalidProtectionAnswerError,
  okxAlgoFromInfo,
  okxOcoParams,
  parseBinanceOcoAnswer,
  type ProtectionListRequest,
} from "../../../../supabase/functions/_shared/exchange/protection_orders.ts";
import { normalizeOrder } from "../../../../supabase/functions/_shared/exchange/venue_client.ts";

const MARKET = { id: "ETHUSDT", symbol: "ETH/USDT", base: "ETH", quote: "USDT", spot: true };
const REQ: ProtectionListRequest = {
  symbol: "ETH/USDT",
  amount: 0.0581,
  listClientId: "sbList1",
  takeProfit: { price: 3012.02, clientOrderId: "sbTp1" },
  stopLoss: { triggerPrice: 2999.98, price: 2984.98, clientOrderId: "sbSl1" },
};

/** ccxt's own binance parser (unmodified), with the market given and precision formatting stubbed to plain text. */
function exchange(): BinanceOcoExchange {
  const binance = new ccxt.binance();
  return {
    market: () => MARKET,
    amountToPrecision: (_s, amount) => String(amount),
    priceToPrecision: (_s, price) => String(price),
    parseOrder: (order, market) => binance.parseOrder(order, market as never),
    privatePostOrderListOco: () => Promise.reject(new Error("not called here")),
  };
}

Deno.test("the OCO request: a LIMIT_MAKER take profit above, a GTC STOP_LOSS_LIMIT below, our ids on both", () => {
  assert.deepEqual(binanceOcoParams(exchange(), REQ), {
    symbol: "ETHUSDT",
    side: "SELL",
    quantity: "0.0581",
    listClientOrderId: "sbList1",
    aboveType: "LIMIT_MAKER",
    abovePrice: "3012.02",
    aboveClientOrderId: "sbTp1",
    belowType: "STOP_LOSS_LIMIT",
    belowStopPrice: "2999.98",
    belowPrice: "2984.98",
    belowTimeInForce: "GTC",
    belowClientOrderId: "sbSl1",
    newOrderRespType: "FULL",
  });
});

// The answer's shape as Binance documents it for POST /api/v3/orderList/oco (orderReports, one per leg).
const report = (fields: Record<string, unknown>) => ({
  symbol: "ETHUSDT",
  orderListId: 7,
  transactTime: 1764547200000,
  origQty: "0.05810000",
  executedQty: "0.00000000",
  cummulativeQuoteQty: "0.00000000",
  status: "NEW",
  timeInForce: "GTC",
  side: "SELL",
  ...fields,
});
const ANSWER = {
  orderListId: 7,
  contingencyType: "OCO",
  listStatusType: "EXEC_STARTED",
  listOrderStatus: "EXECUTING",
  listClientOrderId: "sbList1",
  orders: [{ symbol: "ETHUSDT", orderId: 21, clientOrderId: "sbSl1" }, {
    symbol: "ETHUSDT",
    orderId: 22,
    clientOrderId: "sbTp1",
  }],
  orderReports: [
    report({
      orderId: 21,
      clientOrderId: "sbSl1",
      price: "2984.98000000",
      stopPrice: "2999.98000000",
      type: "STOP_LOSS_LIMIT",
    }),
    report({ orderId: 22, clientOrderId: "sbTp1", price: "3012.02000000", type: "LIMIT_MAKER" }),
  ],
};

Deno.test("the OCO answer: each leg found by its client order id and parsed as ccxt parses an order", () => {
  const answer = parseBinanceOcoAnswer(exchange(), REQ, ANSWER, (o) => normalizeOrder(o, "binance"));
  assert.equal(answer.listId, "7");
  assert.equal(answer.takeProfit.id, "22");
  assert.equal(answer.takeProfit.clientOrderId, "sbTp1");
  assert.equal(answer.takeProfit.status, "open");
  assert.equal(answer.takeProfit.price, 3012.02);
  assert.equal(answer.takeProfit.amount, 0.0581);
  assert.equal(answer.stopLoss.id, "21");
  assert.equal(answer.stopLoss.clientOrderId, "sbSl1");
  assert.equal(answer.stopLoss.filled, 0);
});

Deno.test("an OCO answer without our legs is refused, naming what is missing", () => {
  assert.throws(
    () =>
      parseBinanceOcoAnswer(exchange(), REQ, {
        ...ANSWER,
        orderReports: [ANSWER.orderReports[0], ANSWER.orderReports[0]],
      }, (o) => normalizeOrder(o, "binance")),
    (e) => e instanceof InvalidProtectionAnswerError && /no report for leg sbTp1/.test(e.message),
  );
  assert.throws(
    () => parseBinanceOcoAnswer(exchange(), REQ, { code: -1 }, (o) => normalizeOrder(o, "binance")),
    (e) => e instanceof InvalidProtectionAnswerError && /orderListId/.test(e.message),
  );
});

Deno.test("okxOcoParams: a cash-mode oco, the take profit a limit at its trigger, our list id as algoClOrdId", () => {
  assert.deepEqual(okxOcoParams(REQ), {
    takeProfitPrice: 3012.02,
    tpOrdPx: 3012.02,
    stopLossPrice: 2999.98,
    slOrdPx: 2984.98,
    tdMode: "cash",
    algoClOrdId: "sbList1",
  });
});

Deno.test("okxAlgoFromInfo reads OKX's algo states, the leg that fired and the order it created", async (t) => {
  const info = (fields: Record<string, unknown>) => ({
    algoId: "77",
    algoClOrdId: "sbList1",
    instId: "ETH-USDT",
    state: "live",
    actualSide: "",
    ordId: "",
    ordIdList: [],
    ...fields,
  });
  await t.step("live and pause read live, no leg, no order", () => {
    for (const state of ["live", "pause"]) {
      const a = okxAlgoFromInfo(info({ state }));
      assert.deepEqual([a.state, a.triggeredLeg, a.orderId, a.listClientId], ["live", null, null, "sbList1"]);
    }
  });
  await t.step("effective: the leg named by actualSide, the order from ordIdList (ordId as a fallback)", () => {
    const tp = okxAlgoFromInfo(info({ state: "effective", actualSide: "tp", ordIdList: ["901"], ordId: "901" }));
    assert.deepEqual([tp.state, tp.triggeredLeg, tp.orderId], ["triggered", "take_profit", "901"]);
    const sl = okxAlgoFromInfo(info({ state: "effective", actualSide: "sl", ordIdList: undefined, ordId: "902" }));
    assert.deepEqual([sl.state, sl.triggeredLeg, sl.orderId], ["triggered", "stop_loss", "902"]);
  });
  await t.step("canceled and order_failed are final; a failed algo names no order", () => {
    assert.equal(okxAlgoFromInfo(info({ state: "canceled" })).state, "cancelled");
    const failed = okxAlgoFromInfo(info({ state: "order_failed", actualSide: "sl", ordId: "" }));
    assert.deepEqual([failed.state, failed.triggeredLeg, failed.orderId], ["failed", "stop_loss", null]);
  });
  await t.step("an unknown state, a missing algoId or a fired algo without its side are refused", () => {
    assert.throws(() => okxAlgoFromInfo(info({ state: "toString" })), InvalidProtectionAnswerError);
    assert.throws(() => okxAlgoFromInfo(info({ algoId: "" })), InvalidProtectionAnswerError);
    assert.throws(() => okxAlgoFromInfo(info({ state: "effective", actualSide: "" })), InvalidProtectionAnswerError);
    assert.throws(() => okxAlgoFromInfo(undefined), InvalidProtectionAnswerError);
  });
});
