/**
 * The two venues' public book-top streams, as plain WebSocket text: where to connect, what to send, how to read a
 * push. Binance spot: `<symbol>@bookTicker` ({u, s, b, B, a, A}); OKX v5: the `tickers` channel ({arg, data:
 * [{instId, bidPx, askPx, ...}]}). No ccxt here: ccxt.pro cost about five times our cost per message (docs/STREAMS.md).
 *
 * Pushes are checked by hand, not with zod: this runs for every message, and the checks are the few fields we use.
 */
import type { Venue } from "../exchange/venues.ts";

export interface StreamTop {
  symbol: string;
  bid: number;
  ask: number;
}

/** What one text message was: a book top, something to ignore (acks, pongs), or garbage (named why). */
export type Parsed = { kind: "top"; top: StreamTop } | { kind: "ignore" } | { kind: "garbage"; why: string };

export interface StreamProtocol {
  url(options: { baseUrl: string | null; sandbox: boolean }): string;
  subscribe(symbols: readonly string[]): string[];
  /** Sent when the stream is quiet, so a live socket answers (OKX closes a socket silent for 30 s). */
  probe(): string;
  parse(text: string, symbolOf: Map<string, string>): Parsed;
  /** Venue id → our symbol, e.g. BTCUSDT → BTC/USDT. */
  ids(symbols: readonly string[]): Map<string, string>;
}

function price(value: unknown): number {
  return typeof value === "string" ? Number(value) : NaN;
}

function wsOrigin(baseUrl: string): string {
  return baseUrl.replace(/^http/, "ws").replace(/\/+$/, "");
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

let binanceIds = 0;

export const binanceProtocol: StreamProtocol = {
  url: ({ baseUrl, sandbox }) =>
    baseUrl
      ? `${wsOrigin(baseUrl)}/ws`
      : sandbox
      ? "wss://stream.testnet.binance.vision/ws"
      : "wss://stream.binance.com:9443/ws",
  subscribe: (symbols) => [
    JSON.stringify({
      method: "SUBSCRIBE",
      params: symbols.map((s) => `${s.replace("/", "").toLowerCase()}@bookTicker`),
      id: ++binanceIds,
    }),
  ],
  probe: () => JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id: ++binanceIds }),
  ids: (symbols) => new Map(symbols.map((s) => [s.replace("/", ""), s])),
  parse(text, symbolOf) {
    const m = parseJson(text);
    if (!m) return { kind: "garbage", why: "not a JSON object" };
    if ("result" in m || "id" in m) return m.error ? { kind: "garbage", why: "error reply" } : { kind: "ignore" };
    const symbol = typeof m.s === "string" ? symbolOf.get(m.s) : undefined;
    if (!symbol) return { kind: "garbage", why: "s: not a subscribed symbol" };
    const bid = price(m.b);
    const ask = price(m.a);
    if (!(bid > 0) || !(ask > 0)) return { kind: "garbage", why: "b/a: not positive decimal strings" };
    return { kind: "top", top: { symbol, bid, ask } };
  },
};

export const okxProtocol: StreamProtocol = {
  url: ({ baseUrl, sandbox }) =>
    baseUrl
      ? `${wsOrigin(baseUrl)}/ws/v5/public`
      : sandbox
      ? "wss://wspap.okx.com:8443/ws/v5/public"
      : "wss://ws.okx.com:8443/ws/v5/public",
  subscribe: (symbols) => [
    JSON.stringify({
      op: "subscribe",
      args: symbols.map((s) => ({ channel: "tickers", instId: s.replace("/", "-") })),
    }),
  ],
  probe: () => "ping",
  ids: (symbols) => new Map(symbols.map((s) => [s.replace("/", "-"), s])),
  parse(text, symbolOf) {
    if (text === "pong") return { kind: "ignore" };
    const m = parseJson(text);
    if (!m) return { kind: "garbage", why: "not a JSON object" };
    if (typeof m.event === "string") {
      return m.event === "error" ? { kind: "garbage", why: "error event" } : { kind: "ignore" };
    }
    const data = Array.isArray(m.data) ? m.data[0] as Record<string, unknown> | undefined : undefined;
    const symbol = data && typeof data.instId === "string" ? symbolOf.get(data.instId) : undefined;
    if (!data || !symbol) return { kind: "garbage", why: "data[0].instId: not a subscribed instrument" };
    const bid = price(data.bidPx);
    const ask = price(data.askPx);
    if (!(bid > 0) || !(ask > 0)) return { kind: "garbage", why: "bidPx/askPx: not positive decimal strings" };
    return { kind: "top", top: { symbol, bid, ask } };
  },
};

export const STREAM_PROTOCOLS: Record<Venue, StreamProtocol> = { binance: binanceProtocol, okx: okxProtocol };
