// OKX v5 public WebSocket (/ws/v5/public) as ccxt.pro and our own client use it: {op: subscribe|unsubscribe, args:
// [{channel: tickers|bbo-tbt, instId}]} answered per arg with {event, arg, connId}; pushes {arg, data: [...]} in the
// shape of each channel (tickers at most every 100 ms per instrument, bbo-tbt on every change); the text "ping"
// answered "pong". Login and the private orders channel: ws_user_okx.ts.

import type { Quote } from "./types.ts";
import type { StreamProtocol, SubscriptionChange } from "./ws_protocol.ts";

const CHANNELS = new Set(["tickers", "bbo-tbt"]);

function instId(symbol: string): string {
  return symbol.replace("/", "-");
}

interface Arg {
  channel?: unknown;
  instId?: unknown;
}

let connIds = 0;

export const okxStreams: StreamProtocol = {
  matches: (path) => path === "/ws/v5/public",
  initial: () => [],
  onText(text, symbols): SubscriptionChange {
    if (text === "ping") return { replies: ["pong"] };
    let message: { op?: unknown; args?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return { replies: [JSON.stringify({ event: "error", code: "60012", msg: "Illegal request: " + text })] };
    }
    if (message.op !== "subscribe" && message.op !== "unsubscribe") {
      return { replies: [JSON.stringify({ event: "error", code: "60012", msg: "Illegal request: op" })] };
    }
    const args = Array.isArray(message.args) ? (message.args as Arg[]) : [];
    const replies: string[] = [];
    const wanted: { symbol: string; channel: string }[] = [];
    for (const arg of args) {
      const symbol = symbols.find((s) => instId(s) === arg.instId);
      if (!symbol || typeof arg.channel !== "string" || !CHANNELS.has(arg.channel)) {
        replies.push(JSON.stringify({
          event: "error",
          code: "60018",
          msg: `Wrong URL or channel:${String(arg.channel)},instId:${String(arg.instId)} doesn't exist.`,
        }));
        continue;
      }
      wanted.push({ symbol, channel: arg.channel });
      replies.push(
        JSON.stringify({
          event: message.op,
          arg: { channel: arg.channel, instId: arg.instId },
          connId: `c${++connIds}`,
        }),
      );
    }
    const keys = wanted.map((w) => `${w.channel}|${w.symbol}`);
    return message.op === "subscribe" ? { replies, subscribe: keys } : { replies, unsubscribe: keys };
  },
  listReply: () => "",
  quoteMessage(key: string, quote: Quote, _updateId: number, nowMs: number): string {
    const [channel, symbol] = key.split("|");
    const arg = { channel, instId: instId(symbol) };
    const ts = String(Math.round(nowMs));
    if (channel === "bbo-tbt") {
      return JSON.stringify({
        arg,
        data: [{
          asks: [[String(quote.ask), String(quote.askQty), "0", "1"]],
          bids: [[String(quote.bid), String(quote.bidQty), "0", "1"]],
          ts,
        }],
      });
    }
    const last = String((quote.bid + quote.ask) / 2);
    return JSON.stringify({
      arg,
      data: [{
        instType: "SPOT",
        instId: instId(symbol),
        last,
        lastSz: "0",
        askPx: String(quote.ask),
        askSz: String(quote.askQty),
        bidPx: String(quote.bid),
        bidSz: String(quote.bidQty),
        open24h: last,
        high24h: last,
        low24h: last,
        sodUtc0: last,
        sodUtc8: last,
        volCcy24h: "0",
        vol24h: "0",
        ts,
      }],
    });
  },
  symbolOfKey: (key) => key.split("|")[1],
  // OKX: tickers "at most one update per 100 ms", and none without a change; bbo-tbt every change (10 ms on the venue).
  pacingOfKey: (key) => key.startsWith("tickers|") ? { everyMs: 100, repeat: false } : undefined,
};
