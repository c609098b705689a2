// Binance spot market streams over WebSocket, as ccxt.pro and our own client use them: SUBSCRIBE / UNSUBSCRIBE of
// `<symbol>@bookTicker` and `<symbol>@depth5@100ms` (JSON {method, params, id} answered {result: null, id}), streams
// named in the path (/ws/btcusdt@bookTicker/...) or the query (/stream?streams=...). Pushes: bookTicker {u, s, b, B,
// a, A} on every change of the top; partial depth {lastUpdateId, bids, asks} (five levels, no symbol) every 100 ms.
// On the raw endpoint (/ws) a push is sent as is; on the combined one (/stream) inside {stream, data}, as Binance
// does. Ping/pong is the WebSocket's own control frames (Deno answers pings). The user-data stream is the WebSocket
// API's (ws_user_binance.ts).

import type { Quote } from "./types.ts";
import type { StreamProtocol, SubscriptionChange } from "./ws_protocol.ts";

function marketId(symbol: string): string {
  return symbol.replace("/", "");
}

const CHANNELS = new Set(["bookTicker", "depth5@100ms"]);
/** Levels a side of a partial-depth push (depthLevels spaces them by the spread). */
const DEPTH_LEVELS = 5;

/** `btcusdt@depth5@100ms` → the key `depth5@100ms|BTC/USDT` (undefined for other streams or unknown symbols). */
function keyOfStream(stream: string, symbols: readonly string[]): string | undefined {
  const at = stream.indexOf("@");
  const id = stream.slice(0, at);
  const channel = stream.slice(at + 1);
  if (at <= 0 || !CHANNELS.has(channel)) return undefined;
  const symbol = symbols.find((s) => marketId(s).toLowerCase() === id.toLowerCase());
  return symbol ? `${channel}|${symbol}` : undefined;
}

function streamOfKey(key: string): string {
  const [channel, symbol] = key.split("|");
  return `${marketId(symbol).toLowerCase()}@${channel}`;
}

/** Five levels per side from the top outwards; the engine quotes only the top, so deeper levels repeat its size. */
function depthLevels(top: number, qty: number, step: number): string[][] {
  return Array.from({ length: DEPTH_LEVELS }, (_, i) => [String(+(top + i * step).toPrecision(12)), String(qty)]);
}

export const binanceStreams: StreamProtocol = {
  matches: (path) => path === "/ws" || path.startsWith("/ws/") || path === "/stream",
  initial(path, url, symbols) {
    const named = path.startsWith("/ws/") ? path.slice("/ws/".length).split("/") : [];
    const fromQuery = url.searchParams.get("streams")?.split("/") ?? [];
    return [...named, ...fromQuery].map((s) => keyOfStream(s, symbols)).filter((s): s is string => !!s);
  },
  onText(text, symbols): SubscriptionChange {
    let message: { method?: unknown; params?: unknown; id?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return { replies: [JSON.stringify({ error: { code: 3, msg: "Invalid JSON" } })] };
    }
    const id = message.id ?? null;
    const params = Array.isArray(message.params) ? message.params.map(String) : [];
    const wanted = params.map((p) => keyOfStream(p, symbols));
    if (message.method !== "SUBSCRIBE" && message.method !== "UNSUBSCRIBE" && message.method !== "LIST_SUBSCRIPTIONS") {
      return { replies: [JSON.stringify({ error: { code: 2, msg: "Invalid request: unknown method" }, id })] };
    }
    if (message.method === "LIST_SUBSCRIPTIONS") return { replies: [], list: id };
    if (wanted.some((s) => s === undefined)) {
      return { replies: [JSON.stringify({ error: { code: 2, msg: "Invalid request: unknown stream" }, id })] };
    }
    const reply = JSON.stringify({ result: null, id });
    return message.method === "SUBSCRIBE"
      ? { replies: [reply], subscribe: wanted as string[] }
      : { replies: [reply], unsubscribe: wanted as string[] };
  },
  listReply: (id, subscribed) => JSON.stringify({ result: subscribed.map(streamOfKey), id }),
  quoteMessage(key: string, quote: Quote, updateId: number, _nowMs: number, path: string): string {
    const [channel, symbol] = key.split("|");
    // The spread's width stands in for the tick size the engine does not expose here.
    const step = Math.max(quote.ask - quote.bid, quote.ask * 1e-6);
    const data = channel === "bookTicker"
      ? {
        u: updateId,
        s: marketId(symbol),
        b: String(quote.bid),
        B: String(quote.bidQty),
        a: String(quote.ask),
        A: String(quote.askQty),
      }
      : {
        lastUpdateId: updateId,
        bids: depthLevels(quote.bid, quote.bidQty, -step),
        asks: depthLevels(quote.ask, quote.askQty, step),
      };
    return JSON.stringify(path === "/stream" ? { stream: streamOfKey(key), data } : data);
  },
  symbolOfKey: (key) => key.split("|")[1],
  pacingOfKey: (key) => key.startsWith("depth5@100ms|") ? { everyMs: 100, repeat: true } : undefined,
};
