// Binance spot's WebSocket API (/ws-api/v3) as far as the user-data stream goes, as ccxt.pro and our own client use
// it: requests {id, method, params} answered {id, status, result | error, rateLimits}. `userDataStream.subscribe.signature`
// (params apiKey, timestamp, [recvWindow], signature = HMAC-SHA256 hex of the other params sorted by name, joined
// k=v&...) answers {subscriptionId}; `userDataStream.unsubscribe` and `ping` answer {}. Events arrive as
// {subscriptionId, event: {e: "executionReport", ...}}, one per order event of the account. `session.logon` needs
// an Ed25519 key on Binance; the simulator's keys are HMAC, so it is refused as unsupported here.

import { constantTimeEqual, hmacHex } from "./binance.ts";
import type { VenueEngine } from "./engine.ts";
import type { OrderEvent } from "./orders.ts";
import type { SimOrder } from "./types.ts";
import type { UserSession, UserStreamProtocol } from "./ws_user_protocol.ts";

const RATE_LIMITS = [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000, count: 2 }];
const DEFAULT_RECV_WINDOW_MS = 5_000;

const STATUS: Record<SimOrder["status"], string> = {
  new: "NEW",
  partially_filled: "PARTIALLY_FILLED",
  filled: "FILLED",
  canceled: "CANCELED",
  expired: "EXPIRED",
};

const EXECUTION: Record<OrderEvent["kind"], string> = {
  new: "NEW",
  trade: "TRADE",
  canceled: "CANCELED",
  expired: "EXPIRED",
};

const dec = (value: number | undefined) => (value ?? 0).toFixed(8);

function orderType(o: SimOrder): string {
  if (o.stopPrice !== undefined) return o.type === "market" ? "STOP_LOSS" : "STOP_LOSS_LIMIT";
  if (o.type === "market") return "MARKET";
  return o.postOnly ? "LIMIT_MAKER" : "LIMIT";
}

function answer(id: unknown, result: unknown): string {
  return JSON.stringify({ id, status: 200, result, rateLimits: RATE_LIMITS });
}

function refuse(id: unknown, status: number, code: number, msg: string): string {
  return JSON.stringify({ id, status, error: { code, msg }, rateLimits: RATE_LIMITS });
}

let nextSubscriptionId = 0;
let cancelIds = 0;

async function subscribeSignature(
  id: unknown,
  params: Record<string, unknown>,
  session: UserSession,
  engine: VenueEngine,
): Promise<string> {
  for (const name of ["apiKey", "timestamp", "signature"]) {
    if (params[name] === undefined || params[name] === "") {
      return refuse(id, 400, -1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`);
    }
  }
  const account = engine.accountByApiKey(String(params.apiKey));
  if (!account) return refuse(id, 401, -2015, "Invalid API-key, IP, or permissions for action.");
  const timestamp = Number(params.timestamp);
  const recvWindow = params.recvWindow === undefined ? DEFAULT_RECV_WINDOW_MS : Number(params.recvWindow);
  const now = engine.clock.now();
  if (!Number.isFinite(timestamp) || timestamp > now + 1_000 || now - timestamp > recvWindow) {
    return refuse(id, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
  }
  const payload = Object.keys(params).filter((k) => k !== "signature").sort()
    .map((k) => `${k}=${params[k]}`).join("&");
  const expected = await hmacHex(account.secret, payload);
  if (!constantTimeEqual(expected, String(params.signature).toLowerCase())) {
    return refuse(id, 400, -1022, "Signature for this request is not valid.");
  }
  session.accountId = account.id;
  const subscriptionId = nextSubscriptionId++;
  session.subscriptions.push(subscriptionId);
  return answer(id, { subscriptionId });
}

export const binanceUserStream: UserStreamProtocol = {
  matches: (path) => path === "/ws-api/v3",
  async onText(text, session, engine) {
    let message: { id?: unknown; method?: unknown; params?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return [refuse(null, 400, -1000, "Malformed request: not JSON.")];
    }
    const id = message.id ?? null;
    const params = message.params && typeof message.params === "object"
      ? message.params as Record<string, unknown>
      : {};
    switch (message.method) {
      case "ping":
        return [answer(id, {})];
      case "userDataStream.subscribe.signature":
        return [await subscribeSignature(id, params, session, engine)];
      case "userDataStream.unsubscribe": {
        const wanted = params.subscriptionId === undefined ? undefined : Number(params.subscriptionId);
        session.subscriptions = wanted === undefined ? [] : session.subscriptions.filter((s) => s !== wanted);
        return [answer(id, {})];
      }
      default:
        return [refuse(id, 400, -1020, "This operation is not supported.")];
    }
  },
  eventMessages(event, session, engine) {
    const o = event.order;
    if (session.subscriptions.length === 0 || o.accountId !== session.accountId) return [];
    const t = event.trade;
    const canceled = event.kind === "canceled";
    const info = engine.market(o.symbol);
    const now = engine.clock.now();
    const report = {
      e: "executionReport",
      E: now,
      s: info ? `${info.base}${info.quote}` : o.symbol.replace("/", ""),
      // A cancel names the cancel request's own client id in c and the order's in C, as Binance does.
      c: canceled ? `web_sim${++cancelIds}` : o.clientOrderId,
      S: o.side.toUpperCase(),
      o: orderType(o),
      f: o.type === "market" || o.postOnly ? "GTC" : o.timeInForce,
      q: dec(o.amount),
      p: dec(o.price),
      P: dec(o.stopPrice),
      F: dec(0),
      g: o.orderListId === undefined ? -1 : Number(o.orderListId),
      C: canceled ? o.clientOrderId : "",
      x: EXECUTION[event.kind],
      X: STATUS[o.status],
      r: "NONE",
      i: Number(o.orderId),
      l: dec(t?.amount),
      z: dec(o.filled),
      L: dec(t?.price),
      n: t ? dec(t.fee) : "0",
      N: t ? t.feeAsset : null,
      T: t?.timestamp ?? o.updatedAt,
      t: t ? Number(t.tradeId) : -1,
      I: 0,
      w: o.status === "new" || o.status === "partially_filled",
      m: t?.isMaker ?? false,
      M: false,
      O: o.createdAt,
      Z: dec(o.cost),
      Y: dec(t?.cost),
      Q: dec(o.quoteAmount),
      W: o.createdAt,
      V: "NONE",
    };
    return session.subscriptions.map((subscriptionId) => JSON.stringify({ subscriptionId, event: report }));
  },
};
