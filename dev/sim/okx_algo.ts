// OKX v5 algo orders over the engine's AlgoBook: POST trade/order-algo (ordType oco / conditional), GET
// orders-algo-pending, orders-algo-history, order-algo, POST cancel-algos, and the attachAlgoOrds of POST trade/order.
// Shapes and codes follow OKX's docs for SPOT; ccxt's okx.js (createOrder with stopLossPrice/takeProfitPrice, or with
// stopLoss/takeProfit objects; fetchOpenOrders/fetchOrder/cancelOrder with trigger or ordType params) reads them.

import { z } from "zod";
import type { SimAlgo } from "./algo_orders.ts";
import type { VenueEngine } from "./engine.ts";
import { isMultipleOf } from "./numbers.ts";
import { emptyParameter, OkxApiError, type OkxOrderFailure, parameterError, placementFailure } from "./okx_errors.ts";
import { parseParams } from "./okx_params.ts";
import { dec, instIdOf, symbolOf } from "./okx_shapes.ts";
import { SimRejection } from "./rejection.ts";
import type { Account, MarketInfo, OrderSide } from "./types.ts";
import type { VenueContext } from "./venue_context.ts";

const DECIMAL = /^\d+(\.\d+)?$/;
const price = z.union([z.string().regex(DECIMAL), z.number().finite()]).transform(Number).refine((n) => n > 0);
/** an order price, or -1 (a market order when the trigger fires) */
const orderPrice = z
  .union([z.string().regex(/^(-1|\d+(\.\d+)?)$/), z.number().finite()])
  .transform(Number)
  .refine((n) => n === -1 || n > 0);
const ALGO_CL_ORD_ID = /^[A-Za-z0-9]{1,32}$/;
/** Float noise in sizes parsed from decimal strings. */
const SIZE_DUST = 1e-12;

const triggerLegs = {
  tpTriggerPx: price.optional(),
  tpOrdPx: orderPrice.optional(),
  slTriggerPx: price.optional(),
  slOrdPx: orderPrice.optional(),
};

export const orderAlgoBody = z.object({
  instId: z.string().min(1),
  // ccxt 4.5.84 sends its default margin mode ("cross") for spot algo orders; the simulator treats both as spot cash.
  tdMode: z.enum(["cash", "cross"]),
  side: z.enum(["buy", "sell"]),
  ordType: z.enum(["oco", "conditional"]),
  sz: price,
  algoClOrdId: z.string().regex(ALGO_CL_ORD_ID).optional(),
  /** ccxt puts a clientOrderId here */
  clOrdId: z.string().regex(ALGO_CL_ORD_ID).optional(),
  ...triggerLegs,
});

/** One entry of attachAlgoOrds on POST trade/order. */
export const attachedAlgoBody = z.object({
  attachAlgoClOrdId: z.string().regex(ALGO_CL_ORD_ID).optional(),
  ...triggerLegs,
});

const algoListQuery = z.object({
  ordType: z.string().min(1),
  algoId: z.string().min(1).optional(),
  algoClOrdId: z.string().min(1).optional(),
  instType: z.string().optional(),
  instId: z.string().min(1).optional(),
  state: z.enum(["effective", "canceled", "order_failed"]).optional(),
  limit: z.string().regex(/^\d+$/).transform(Number).optional(),
});

const oneAlgoQuery = z.object({ algoId: z.string().min(1).optional(), algoClOrdId: z.string().min(1).optional() });

const cancelAlgoEntry = z.object({ instId: z.string().min(1), algoId: z.string().min(1) });

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

const ok = (data: unknown[]) => json(200, { code: "0", msg: "", data });

function marketFor(engine: VenueEngine, instId: string): MarketInfo | undefined {
  const market = engine.market(symbolOf(instId));
  return market && instIdOf(market.symbol) === instId ? market : undefined;
}

interface Legs {
  tpTriggerPx?: number;
  tpOrdPx?: number;
  slTriggerPx?: number;
  slOrdPx?: number;
}

/** Tick checks and, for a stand-alone algo, OKX's trigger-versus-last-price rules (51277-51280). */
function checkLegs(legs: Legs, market: MarketInfo, side: OrderSide, last: number | undefined): void {
  for (const name of ["tpTriggerPx", "tpOrdPx", "slTriggerPx", "slOrdPx"] as const) {
    const value = legs[name];
    if (value !== undefined && value !== -1 && !isMultipleOf(value, market.tickSize)) throw parameterError(name);
  }
  if (legs.tpTriggerPx !== undefined && legs.tpOrdPx === undefined) throw emptyParameter("tpOrdPx");
  if (legs.slTriggerPx !== undefined && legs.slOrdPx === undefined) throw emptyParameter("slOrdPx");
  if (last === undefined) return;
  const { tpTriggerPx: tp, slTriggerPx: sl } = legs;
  if (side === "sell") {
    if (tp !== undefined && tp <= last) {
      throw new OkxApiError(200, "51279", "TP trigger price cannot be lower than the last price");
    }
    if (sl !== undefined && sl >= last) {
      throw new OkxApiError(200, "51280", "SL trigger price cannot be higher than the last price");
    }
  } else {
    if (tp !== undefined && tp >= last) {
      throw new OkxApiError(200, "51277", "TP trigger price cannot be higher than the last price");
    }
    if (sl !== undefined && sl <= last) {
      throw new OkxApiError(200, "51278", "SL trigger price cannot be lower than the last price");
    }
  }
}

const legPrice = (px: number | undefined) => (px === undefined || px === -1 ? undefined : px);

/** An algo as OKX lists it (orders-algo-pending / -history / order-algo) and pushes it (orders-algo channel). */
export function algoShape(algo: SimAlgo, engine: VenueEngine): Record<string, unknown> {
  const order = algo.orderId === undefined ? undefined : engine.getOrder(algo.accountId, { orderId: algo.orderId });
  const px = (trigger: number | undefined, ordPx: number | undefined) =>
    trigger === undefined ? "" : ordPx === undefined ? "-1" : dec(ordPx);
  return {
    instType: "SPOT",
    instId: instIdOf(algo.symbol),
    ccy: "",
    ordId: algo.orderId ?? "",
    ordIdList: algo.orderId === undefined ? [] : [algo.orderId],
    algoId: algo.algoId,
    clOrdId: "",
    sz: dec(algo.amount),
    closeFraction: "",
    ordType: algo.kind,
    side: algo.side,
    posSide: "net",
    tdMode: algo.tdMode ?? "cash",
    tgtCcy: "",
    state: algo.state,
    lever: "",
    tpTriggerPx: algo.tpTrigger === undefined ? "" : dec(algo.tpTrigger),
    tpTriggerPxType: algo.tpTrigger === undefined ? "" : "last",
    tpOrdPx: px(algo.tpTrigger, algo.tpPrice),
    slTriggerPx: algo.slTrigger === undefined ? "" : dec(algo.slTrigger),
    slTriggerPxType: algo.slTrigger === undefined ? "" : "last",
    slOrdPx: px(algo.slTrigger, algo.slPrice),
    triggerPx: "",
    triggerPxType: "",
    ordPx: "",
    actualSz: order ? dec(order.amount) : "",
    actualPx: order ? (order.price === undefined ? "-1" : dec(order.price)) : "",
    actualSide: algo.actualSide ?? "",
    triggerTime: algo.triggeredAt === undefined ? "" : String(algo.triggeredAt),
    algoClOrdId: algo.clientAlgoId ?? "",
    attachedOrdId: algo.entryOrderId ?? "",
    reduceOnly: "false",
    tag: "",
    cTime: String(algo.createdAt),
    uTime: String(algo.updatedAt),
  };
}

function failureAnswer(algoClOrdId: string, failure: OkxOrderFailure): Response {
  return json(200, {
    code: "1",
    msg: "",
    data: [{ algoId: "", clOrdId: "", algoClOrdId, tag: "", sCode: failure.sCode, sMsg: failure.sMsg }],
  });
}

interface AlgoRouteInput {
  ctx: VenueContext;
  query: Record<string, string>;
  body: unknown;
  account: Account;
}

interface AlgoRoute {
  method: "GET" | "POST";
  private: boolean;
  run(input: AlgoRouteInput): Response;
}

function placeAlgo({ ctx, body, account }: AlgoRouteInput): Response {
  const fields = (body !== null && typeof body === "object" && !Array.isArray(body) ? body : {}) as Record<
    string,
    unknown
  >;
  const b = parseParams(orderAlgoBody, fields);
  const market = marketFor(ctx.engine, b.instId);
  const clientAlgoId = b.algoClOrdId ?? b.clOrdId;
  const algoClOrdId = clientAlgoId ?? "";
  if (!market) return failureAnswer(algoClOrdId, placementFailure("unknown_symbol", b.instId));
  if (b.ordType === "oco" && (b.tpTriggerPx === undefined || b.slTriggerPx === undefined)) {
    throw emptyParameter(b.tpTriggerPx === undefined ? "tpTriggerPx" : "slTriggerPx");
  }
  if (b.ordType === "conditional" && b.tpTriggerPx === undefined && b.slTriggerPx === undefined) {
    throw emptyParameter("slTriggerPx");
  }
  if (!isMultipleOf(b.sz, market.stepSize)) return failureAnswer(algoClOrdId, placementFailure("invalid_quantity", ""));
  // The order a leg places must itself meet the instrument's minimums (OKX checks the algo's size at placement).
  if (b.sz < market.minQty - SIZE_DUST) return failureAnswer(algoClOrdId, placementFailure("min_quantity", ""));
  if (b.sz > market.maxQty + SIZE_DUST) {
    return failureAnswer(algoClOrdId, placementFailure("max_quantity", `maxSz ${market.maxQty}`));
  }
  const lowestPx = Math.min(
    ...[b.tpOrdPx, b.tpTriggerPx, b.slOrdPx, b.slTriggerPx].filter((p): p is number => p !== undefined && p > 0),
  );
  if (market.minNotional > 0 && b.sz * lowestPx < market.minNotional - SIZE_DUST) {
    return failureAnswer(algoClOrdId, placementFailure("min_notional", ""));
  }
  try {
    checkLegs(b, market, b.side, ctx.engine.ticker(market.symbol).last);
  } catch (error) {
    if (error instanceof OkxApiError && error.status === 200) {
      return failureAnswer(algoClOrdId, { sCode: error.code, sMsg: error.message });
    }
    throw error;
  }
  try {
    const algo = ctx.engine.placeAlgo(account.id, {
      symbol: market.symbol,
      side: b.side,
      amount: b.sz,
      tpTrigger: b.tpTriggerPx,
      tpPrice: legPrice(b.tpOrdPx),
      slTrigger: b.slTriggerPx,
      slPrice: legPrice(b.slOrdPx),
      clientAlgoId,
      tdMode: b.tdMode,
    });
    return ok([{ algoId: algo.algoId, clOrdId: "", algoClOrdId: algo.clientAlgoId, tag: "", sCode: "0", sMsg: "" }]);
  } catch (error) {
    if (!(error instanceof SimRejection)) throw error;
    return failureAnswer(algoClOrdId, placementFailure(error.reason, error.message));
  }
}

/**
 * POST trade/order's attachAlgoOrds: checked before the entry is placed (ticks, order prices present), placed after
 * it; the algos wait for the entry to finish and then cover what it filled, on the other side.
 */
export function parseAttached(raw: unknown, market: MarketInfo, entrySide: OrderSide) {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw parameterError("attachAlgoOrds");
  return raw.map((entry) => {
    const a = parseParams(attachedAlgoBody, (entry ?? {}) as Record<string, unknown>);
    checkLegs(a, market, entrySide === "buy" ? "sell" : "buy", undefined);
    if (a.tpTriggerPx === undefined && a.slTriggerPx === undefined) throw emptyParameter("slTriggerPx");
    return a;
  });
}

export function placeAttached(
  engine: VenueEngine,
  account: Account,
  attached: ReturnType<typeof parseAttached>,
  entry: { orderId: string; symbol: string; side: OrderSide; amount: number },
): void {
  for (const a of attached) {
    engine.placeAlgo(account.id, {
      symbol: entry.symbol,
      side: entry.side === "buy" ? "sell" : "buy",
      amount: entry.amount,
      tpTrigger: a.tpTriggerPx,
      tpPrice: legPrice(a.tpOrdPx),
      slTrigger: a.slTriggerPx,
      slPrice: legPrice(a.slOrdPx),
      clientAlgoId: a.attachAlgoClOrdId,
    }, entry.orderId);
  }
}

function listAlgos({ ctx, query, account }: AlgoRouteInput, history: boolean): Response {
  const q = parseParams(algoListQuery, query);
  if (history && q.state === undefined && q.algoId === undefined) throw emptyParameter("state");
  const types = q.ordType.split(",");
  const symbol = q.instId === undefined ? undefined : symbolOf(q.instId);
  const algos = ctx.engine.algoOrders(account.id).filter((a) =>
    types.includes(a.kind) &&
    (symbol === undefined || a.symbol === symbol) &&
    (q.algoId === undefined || a.algoId === q.algoId) &&
    (q.algoClOrdId === undefined || a.clientAlgoId === q.algoClOrdId) &&
    (history ? a.state !== "live" && (q.state === undefined || a.state === q.state) : a.state === "live") &&
    // attached algos appear once their entry order is done
    !a.waitingForEntry
  );
  algos.sort((x, y) => Number(y.algoId) - Number(x.algoId));
  return ok(algos.slice(0, q.limit ?? 100).map((a) => algoShape(a, ctx.engine)));
}

export const ALGO_ROUTES: Record<string, AlgoRoute> = {
  "/api/v5/trade/order-algo#POST": { method: "POST", private: true, run: placeAlgo },
  "/api/v5/trade/order-algo": {
    method: "GET",
    private: true,
    run: ({ ctx, query, account }) => {
      const q = parseParams(oneAlgoQuery, query);
      if (q.algoId === undefined && q.algoClOrdId === undefined) throw emptyParameter("algoId");
      try {
        return ok([
          algoShape(ctx.engine.algo(account.id, { algoId: q.algoId, clientAlgoId: q.algoClOrdId }), ctx.engine),
        ]);
      } catch (error) {
        if (error instanceof SimRejection) throw new OkxApiError(200, "51603", "Order does not exist");
        throw error;
      }
    },
  },
  "/api/v5/trade/orders-algo-pending": { method: "GET", private: true, run: (input) => listAlgos(input, false) },
  "/api/v5/trade/orders-algo-history": { method: "GET", private: true, run: (input) => listAlgos(input, true) },
  "/api/v5/trade/cancel-algos": {
    method: "POST",
    private: true,
    run: ({ ctx, body, account }) => {
      if (!Array.isArray(body) || body.length === 0) throw parameterError("request body (an array is expected)");
      const results = body.map((raw) => {
        const entry = parseParams(cancelAlgoEntry, (raw ?? {}) as Record<string, unknown>);
        try {
          ctx.engine.cancelAlgo(account.id, entry.algoId);
          return { algoId: entry.algoId, sCode: "0", sMsg: "" };
        } catch (error) {
          if (!(error instanceof SimRejection)) throw error;
          return { algoId: entry.algoId, sCode: "51000", sMsg: `Parameter algoId error: ${error.message}` };
        }
      });
      const failed = results.filter((r) => r.sCode !== "0").length;
      const code = failed === 0 ? "0" : failed === results.length ? "1" : "2";
      return json(200, { code, msg: "", data: results });
    },
  },
};
