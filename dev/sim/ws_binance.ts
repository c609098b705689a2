// Binance spot market streams over WebSocket, as ccxt.pro and our own client use them: SUBSCRIBE / UNSUBSCRIBE of
// `<symbol>@bookTicker` (JSON {method, params, id} answered {result: null, id}), streams named in the path
// (/ws/btcusdt@bookTicker/...), and the raw bookTicker push {u, s, b, B, a, A}. Ping/pong is the WebSocket's own
// control frames (Deno answers pings). The user-data stream is the WebSocket API's (ws_user_binance.ts).

import type { Quote } from "./types.ts";
import type { StreamProtocol, SubscriptionChange } from "./ws_protocol.ts";

function marketId(symbol: string): string {
  return symbol.replace("/", "");
}

/** `btcusdt@bookTicker` → `BTC/USDT` (undefined for other streams or unknown symbols). */
function symbolOfStream(stream: string, symbols: readonly string[]): string | undefined {
  const [id, channel] = stream.split("@");
  if (channel !== "bookTicker" || !id) return undefined;
  return symbols.find((s) => marketId(s).toLowerCase() === id.toLowerCase());
}

export const binanceStreams: StreamProtocol = {
  matches: (path) => path === "/ws" || path.startsWith("/ws/") || path === "/stream",
  initial(path, url, symbols) {
    const named = path.startsWith("/ws/") ? path.slice("/ws/".length).split("/") : [];
    const fromQuery = url.searchParams.get("streams")?.split("/") ?? [];
    return [...named, ...fromQuery].map((s) => symbolOfStream(s, symbols)).filter((s): s is string => !!s);
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
    const wanted = params.map((p) => symbolOfStream(p, symbols));
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
  listReply: (id, subscribed) =>
    JSON.stringify({ result: subscribed.map((s) => `${marketId(s).toLowerCase()}@bookTicker`), id }),
  quoteMessage(symbol: string, quote: Quote, updateId: number): string {
    return JSON.stringify({
      u: updateId,
      s: marketId(symbol),
      b: String(quote.bid),
      B: String(quote.bidQty),
      a: String(quote.ask),
      A: String(quote.askQty),
    });
  },
};
