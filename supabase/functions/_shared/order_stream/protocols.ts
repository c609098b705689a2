/**
 * The venues' private order streams as plain WebSocket text: where to connect, how to authenticate and subscribe,
 * how to read an order update. Binance spot: the WebSocket API's `userDataStream.subscribe.signature` (HMAC keys;
 * `session.logon` needs Ed25519) and `executionReport` events wrapped as {subscriptionId, event}; OKX v5: `login`
 * then the `orders` channel (instType SPOT). No ccxt here (only _shared/exchange/ imports it).
 *
 * Order updates are checked with zod: they are rare next to book tops, and they move money.
 */
import { z } from "zod";
import type { VenueCredentials } from "../env.ts";
import type { Venue } from "../exchange/venues.ts";
import type { OrderPush } from "../orders/order_push.ts";
import { okxAlgoFromInfo, type ProtectionAlgo } from "../exchange/protection_orders.ts";
import { mul, toNumber } from "../trading/decimal.ts";
import type { OrderStatus } from "../trading/lifecycle.ts";
import { binanceSignature, okxLoginSignature } from "./signing.ts";

/** What one text message was. `send`: messages to send now (OKX's subscribe once logged in). */
export type OrderParsed =
  | { kind: "order"; push: OrderPush }
  | { kind: "algo"; algo: ProtectionAlgo }
  | { kind: "subscribed"; send?: string[] }
  | { kind: "ignore"; send?: string[] }
  | { kind: "refused"; why: string }
  | { kind: "garbage"; why: string };

export interface OrderStreamProtocol {
  url(options: { baseUrl: string | null; sandbox: boolean }): string;
  /** The first messages on a new socket (signed now: a timestamp is part of the signature). */
  open(credentials: VenueCredentials, nowMs: number): Promise<string[]>;
  parse(text: string): OrderParsed;
  /** Sent when the stream is quiet; a live socket answers it. */
  probe(): string;
  /** Whether protection algos (legs without an order of their own yet) are reported too (OKX's orders-algo). */
  readonly reportsAlgos: boolean;
}

function wsOrigin(baseUrl: string): string {
  return baseUrl.replace(/^http/, "ws").replace(/\/+$/, "");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A decimal string as a number ("" → 0 where `emptyIsZero`). */
const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/, "a decimal string").transform(Number);
const decimalOrEmpty = z.union([decimalText, z.literal("").transform(() => null)]);

function issues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
}

// --- Binance

const BINANCE_STATUS: Record<string, OrderStatus> = {
  NEW: "open",
  PENDING_NEW: "open",
  PARTIALLY_FILLED: "partially_filled",
  FILLED: "filled",
  CANCELED: "cancelled",
  PENDING_CANCEL: "open",
  REJECTED: "rejected",
  EXPIRED: "expired",
  EXPIRED_IN_MATCH: "expired",
};

const executionReportSchema = z.object({
  e: z.literal("executionReport"),
  s: z.string().min(1),
  c: z.string(),
  C: z.string().nullish(),
  x: z.string(),
  X: z.enum(Object.keys(BINANCE_STATUS) as [string, ...string[]]),
  i: z.number().int(),
  l: decimalText,
  z: decimalText,
  Z: decimalText,
  n: decimalText,
  N: z.string().nullable(),
});

const binanceAnswerSchema = z.object({
  id: z.union([z.string(), z.number(), z.null()]),
  status: z.number(),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), msg: z.string() }).optional(),
});

let binanceIds = 0;

export const binanceOrderProtocol: OrderStreamProtocol = {
  reportsAlgos: false,
  url: ({ baseUrl, sandbox }) =>
    baseUrl
      ? `${wsOrigin(baseUrl)}/ws-api/v3`
      : sandbox
      ? "wss://ws-api.testnet.binance.vision/ws-api/v3"
      : "wss://ws-api.binance.com:443/ws-api/v3",
  async open(credentials, nowMs) {
    const params: Record<string, string | number> = { apiKey: credentials.apiKey, timestamp: Math.round(nowMs) };
    const signature = await binanceSignature(credentials.secret, params);
    return [JSON.stringify({
      id: `sub-${++binanceIds}`,
      method: "userDataStream.subscribe.signature",
      params: { ...params, signature },
    })];
  },
  probe: () => JSON.stringify({ id: `ping-${++binanceIds}`, method: "ping" }),
  parse(text) {
    const message = parseJson(text);
    if (!message || typeof message !== "object" || Array.isArray(message)) {
      return ({ kind: "garbage", why: "not a JSON object" });
    }
    const m = message as Record<string, unknown>;
    if ("event" in m) {
      const event = m.event as Record<string, unknown> | null;
      if (!event || typeof event !== "object" || event.e !== "executionReport") {
        return ({ kind: "ignore" }); // balances, list status, stream terminated: not orders
      }
      const parsed = executionReportSchema.safeParse(event);
      if (!parsed.success) return ({ kind: "garbage", why: `executionReport: ${issues(parsed.error)}` });
      const r = parsed.data;
      // A cancel's c is the cancel request's own id; the order's is in C.
      const clientOrderId = r.X === "CANCELED" && r.C ? r.C : r.c;
      const push: OrderPush = {
        exchangeOrderId: String(r.i),
        clientOrderId: clientOrderId || null,
        status: BINANCE_STATUS[r.X]!,
        filled: r.z,
        cost: r.Z,
        lastFilled: r.x === "TRADE" ? r.l : 0,
        fee: r.x === "TRADE" && r.N ? { cost: r.n, currency: r.N, scope: "last" } : null,
        raw: event,
      };
      return ({ kind: "order", push });
    }
    const answer = binanceAnswerSchema.safeParse(m);
    if (!answer.success) return ({ kind: "garbage", why: `answer: ${issues(answer.error)}` });
    const { status, error, result, id } = answer.data;
    if (status !== 200) {
      const why = `${error?.code ?? status} ${error?.msg ?? "refused"}`;
      // Our subscription refused (keys, signature, clock): no reconnect will fix that. Other refusals: garbage.
      return (
        String(id).startsWith("sub-") ? { kind: "refused", why } : { kind: "garbage", why: `answer: ${why}` }
      );
    }
    const subscribed = result && typeof result === "object" && "subscriptionId" in result;
    return (subscribed ? { kind: "subscribed" } : { kind: "ignore" });
  },
};

// --- OKX

const OKX_STATUS: Record<string, OrderStatus> = {
  live: "open",
  partially_filled: "partially_filled",
  filled: "filled",
  canceled: "cancelled",
  mmp_canceled: "cancelled",
};

const okxOrderSchema = z.object({
  instId: z.string().min(1),
  ordId: z.string().min(1),
  clOrdId: z.string(),
  state: z.enum(Object.keys(OKX_STATUS) as [string, ...string[]]),
  accFillSz: decimalText,
  fillSz: decimalOrEmpty,
  avgPx: decimalOrEmpty,
  fee: decimalOrEmpty,
  feeCcy: z.string(),
});

const okxPushSchema = z.object({
  arg: z.object({ channel: z.enum(["orders", "orders-algo"]) }),
  data: z.array(z.unknown()).min(1),
});

/** The algo channel is subscribed last: its answer is the one that makes the stream live. */
const OKX_LAST_CHANNEL = "orders-algo";

const okxSubscribedSchema = z.object({ arg: z.object({ channel: z.string() }).optional() });

const okxEventSchema = z.object({
  event: z.string(),
  code: z.string().optional(),
  msg: z.string().optional(),
});

function okxSubscribe(): string {
  return JSON.stringify({
    op: "subscribe",
    args: [{ channel: "orders", instType: "SPOT" }, { channel: OKX_LAST_CHANNEL, instType: "SPOT" }],
  });
}

export const okxOrderProtocol: OrderStreamProtocol = {
  reportsAlgos: true,
  url: ({ baseUrl, sandbox }) =>
    baseUrl
      ? `${wsOrigin(baseUrl)}/ws/v5/private`
      : sandbox
      ? "wss://wspap.okx.com:8443/ws/v5/private?brokerId=9999"
      : "wss://ws.okx.com:8443/ws/v5/private",
  async open(credentials, nowMs) {
    const timestamp = String(Math.floor(nowMs / 1000));
    const sign = await okxLoginSignature(credentials.secret, timestamp);
    return [JSON.stringify({
      op: "login",
      args: [{ apiKey: credentials.apiKey, passphrase: credentials.password ?? "", timestamp, sign }],
    })];
  },
  probe: () => "ping",
  parse(text) {
    if (text === "pong") return ({ kind: "ignore" });
    const message = parseJson(text);
    if (!message || typeof message !== "object" || Array.isArray(message)) {
      return ({ kind: "garbage", why: "not a JSON object" });
    }
    const m = message as Record<string, unknown>;
    if ("event" in m) {
      const event = okxEventSchema.safeParse(m);
      if (!event.success) return ({ kind: "garbage", why: `event: ${issues(event.error)}` });
      const { event: name, code, msg } = event.data;
      if (name === "login") {
        return (
          code === "0" ? { kind: "ignore", send: [okxSubscribe()] } : { kind: "refused", why: `${code} ${msg}` }
        );
      }
      if (name === "subscribe") {
        const channel = okxSubscribedSchema.safeParse(m).data?.arg?.channel;
        return channel === OKX_LAST_CHANNEL ? { kind: "subscribed" } : { kind: "ignore" };
      }
      if (name === "error") {
        // Login or subscription refused (keys, passphrase, clock): no reconnect will fix that.
        return ({ kind: "refused", why: `${code} ${msg}` });
      }
      return ({ kind: "ignore" }); // unsubscribe, channel-conn-count, notice
    }
    const pushed = okxPushSchema.safeParse(m);
    if (!pushed.success) return ({ kind: "garbage", why: `push: ${issues(pushed.error)}` });
    if (pushed.data.arg.channel === "orders-algo") {
      try {
        return { kind: "algo", algo: okxAlgoFromInfo(pushed.data.data[0]) };
      } catch (error) {
        return { kind: "garbage", why: error instanceof Error ? error.message : String(error) };
      }
    }
    const order = okxOrderSchema.safeParse(pushed.data.data[0]);
    if (!order.success) return ({ kind: "garbage", why: `orders: ${issues(order.error)}` });
    const o = order.data;
    const push: OrderPush = {
      exchangeOrderId: o.ordId,
      clientOrderId: o.clOrdId || null,
      status: OKX_STATUS[o.state]!,
      filled: o.accFillSz,
      cost: o.avgPx !== null && o.accFillSz > 0 ? toNumber(mul(o.avgPx, o.accFillSz)) : 0,
      lastFilled: o.fillSz ?? 0,
      // OKX's fee is the order's accumulated fee, negative when paid.
      fee: o.fee !== null ? { cost: -o.fee || 0, currency: o.feeCcy || null, scope: "total" } : null,
      raw: pushed.data.data[0],
    };
    return ({ kind: "order", push });
  },
};

export const ORDER_STREAM_PROTOCOLS: Record<Venue, OrderStreamProtocol> = {
  binance: binanceOrderProtocol,
  okx: okxOrderProtocol,
};
