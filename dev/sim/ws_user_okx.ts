// OKX v5 private WebSocket (/ws/v5/private) as ccxt.pro and our own client use it: `login` with {apiKey, passphrase,
// timestamp (Unix seconds), sign = base64(HMAC-SHA256(secret, timestamp + "GET" + "/users/self/verify"))} answered
// {event: "login", code: "0"}; then `subscribe` to the `orders` channel (instType SPOT or ANY, optional instId),
// answered {event: "subscribe", arg, connId}; pushes {arg: {channel, instType, uid}, data: [order]} with the fields
// of GET /api/v5/trade/order plus the last fill's (fillSz, fillPx, tradeId, fillFee, fillFeeCcy, execType). The
// `orders-algo` channel (instType SPOT or ANY) pushes an algo each time it is placed or changes state, with the
// fields of GET /api/v5/trade/order-algo; an algo that fires is pushed after the order it placed. "ping" → "pong".
// Errors are {event: "error", code, msg, connId} with OKX's 600xx codes.

import type { VenueEngine } from "./engine.ts";
import { originOf } from "./okx.ts";
import { okxSignature } from "./okx_auth.ts";
import { dec, instIdOf, orderShape } from "./okx_shapes.ts";
import { algoShape } from "./okx_algo.ts";
import type { UserSession, UserStreamProtocol } from "./ws_user_protocol.ts";

/** OKX refuses a login whose timestamp is more than 30 s away from its clock. */
const MAX_LOGIN_SKEW_S = 30;

function error(session: UserSession, code: string, msg: string): string {
  return JSON.stringify({ event: "error", code, msg, connId: session.connId });
}

interface LoginArg {
  apiKey?: unknown;
  passphrase?: unknown;
  timestamp?: unknown;
  sign?: unknown;
}

async function login(arg: LoginArg | undefined, session: UserSession, engine: VenueEngine): Promise<string> {
  if (!arg || typeof arg.apiKey !== "string" || typeof arg.sign !== "string" || typeof arg.timestamp !== "string") {
    return error(session, "60009", "Login failed.");
  }
  const seconds = Number(arg.timestamp);
  if (!Number.isFinite(seconds) || Math.abs(engine.clock.now() / 1000 - seconds) > MAX_LOGIN_SKEW_S) {
    return error(session, "60006", "Timestamp request expired.");
  }
  const account = engine.accountByApiKey(arg.apiKey);
  if (!account) return error(session, "60005", "Invalid OK-ACCESS-KEY.");
  if (arg.passphrase !== (account.passphrase ?? "")) return error(session, "60024", "Wrong passphrase.");
  const expected = await okxSignature(account.secret, `${arg.timestamp}GET/users/self/verify`);
  if (arg.sign !== expected) return error(session, "60007", "Invalid sign.");
  session.accountId = account.id;
  return JSON.stringify({ event: "login", code: "0", msg: "", connId: session.connId });
}

export const okxUserStream: UserStreamProtocol = {
  matches: (path) => path === "/ws/v5/private",
  async onText(text, session, engine) {
    if (text === "ping") return ["pong"];
    let message: { op?: unknown; args?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return [error(session, "60012", `Illegal request: ${text.slice(0, 100)}`)];
    }
    const args = Array.isArray(message.args) ? message.args as Record<string, unknown>[] : [];
    if (message.op === "login") return [await login(args[0] as LoginArg | undefined, session, engine)];
    if (message.op !== "subscribe" && message.op !== "unsubscribe") {
      return [error(session, "60012", "Illegal request: op")];
    }
    const replies: string[] = [];
    for (const arg of args) {
      const channel = arg.channel;
      if ((channel !== "orders" && channel !== "orders-algo") || (arg.instType !== "SPOT" && arg.instType !== "ANY")) {
        replies.push(error(
          session,
          "60018",
          `Wrong URL or channel:${String(arg.channel)},instType:${String(arg.instType)} doesn't exist.`,
        ));
        continue;
      }
      if (!session.accountId) {
        replies.push(error(session, "60011", "Please log in."));
        continue;
      }
      if (channel === "orders-algo") {
        session.algoSubscribed = message.op === "subscribe";
      } else if (message.op === "subscribe") {
        session.subscriptions = [0];
        session.instId = typeof arg.instId === "string" ? arg.instId : undefined;
      } else {
        session.subscriptions = [];
      }
      const echoed: Record<string, unknown> = { channel, instType: arg.instType };
      if (typeof arg.instId === "string") echoed.instId = arg.instId;
      replies.push(JSON.stringify({ event: message.op, arg: echoed, connId: session.connId }));
    }
    return replies;
  },
  eventMessages(event, session, engine) {
    const o = event.order;
    if (session.subscriptions.length === 0 || o.accountId !== session.accountId) return [];
    if (session.instId !== undefined && session.instId !== instIdOf(o.symbol)) return [];
    const market = engine.market(o.symbol);
    if (!market) return [];
    const t = event.trade;
    const data = {
      ...orderShape(o, market, originOf(engine, o), t),
      execType: t ? (t.isMaker ? "M" : "T") : "",
      fillFee: t ? dec(-t.fee) : "0",
      fillFeeCcy: t ? t.feeAsset : "",
      fillNotionalUsd: "",
      notionalUsd: "",
      amendResult: "",
      reqId: "",
      code: "0",
      msg: "",
    };
    return [JSON.stringify({
      arg: { channel: "orders", instType: "SPOT", uid: o.accountId },
      data: [data],
    })];
  },
  algoMessages(algo, session, engine) {
    if (!session.algoSubscribed || algo.accountId !== session.accountId) return [];
    return [JSON.stringify({
      arg: { channel: "orders-algo", instType: "SPOT", uid: algo.accountId },
      data: [algoShape(algo, engine)],
    })];
  },
};
