/**
 * The venues' public book-top streams, as plain WebSocket text: where to connect, what to send, how to read a push.
 * Two channels per venue (bot_settings.book_updates):
 * - conflated, at most one top per symbol every 100 ms: Binance spot `<symbol>@depth5@100ms` on the combined stream
 *   ({stream, data: {lastUpdateId, bids, asks}}), OKX v5 `tickers` ({arg, data: [{instId, bidPx, askPx, ...}]});
 * - every change of the top: Binance `<symbol>@bookTicker` ({u, s, b, B, a, A}), OKX `bbo-tbt` ({arg, data: [{asks,
 *   bids, ts}]}).
 * A liquid pair changes its top far more often than ten times a second, and each message costs the burst CPU (a wake
 * of the process, a frame, a parse): the conflated channels keep that cost bounded (docs/STREAMS.md).
 * No ccxt here: ccxt.pro cost about five times our cost per message (docs/STREAMS.md).
 *
 * Pushes are checked by hand, not with zod: this runs for every message, and the checks are the few fields we use.
 */
import type { Venue } from "../exchange/venues.ts";
import type { BookUpdates } from "../settings.ts";

export interface StreamTop {
  symbol: string;
  bid: number;
  ask: number;
}

/** What one text message was: a book top, something to ignore (acks, pongs), or garbage (named why). */
export type Parsed = { kind: "top"; top: StreamTop } | { kind: "ignore" } | { kind: "garbage"; why: string };

export interface StreamProtocol {
  /** The channel's name as the run summary reports it, e.g. `depth5@100ms`. */
  channel: string;
  url(options: { baseUrl: string | null; sandbox: boolean }): string;
  subscribe(symbols: readonly string[]): string[];
  /** Sent when the stream is quiet, so a live socket answers (OKX closes a socket silent for 30 s). */
  probe(): string;
  parse(text: string, symbolOf: Map<string, string>): Parsed;
  /** The venue's id in pushes → our symbol, e.g. BTCUSDT → BTC/USDT. */
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

function binanceUrl(path: "/ws" | "/stream") {
  return ({ baseUrl, sandbox }: { baseUrl: string | null; sandbox: boolean }) =>
    baseUrl
      ? `${wsOrigin(baseUrl)}${path}`
      : sandbox
      ? `wss://stream.testnet.binance.vision${path}`
      : `wss://stream.binance.com:9443${path}`;
}

/** `<symbol>@<channel>`, e.g. `btcusdt@depth5@100ms`. */
function binanceStream(symbol: string, channel: string): string {
  return `${symbol.replace("/", "").toLowerCase()}@${channel}`;
}

function binanceSubscribe(channel: string) {
  return (symbols: readonly string[]) => [
    JSON.stringify({ method: "SUBSCRIBE", params: symbols.map((s) => binanceStream(s, channel)), id: ++binanceIds }),
  ];
}

const binanceProbe = () => JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id: ++binanceIds });

/** The best price of a depth side, `[["price", "qty"], ...]`. */
function bestOf(levels: unknown): number {
  return Array.isArray(levels) && Array.isArray(levels[0]) ? price(levels[0][0]) : NaN;
}

export const binanceBookTicker: StreamProtocol = {
  channel: "bookTicker",
  url: binanceUrl("/ws"),
  subscribe: binanceSubscribe("bookTicker"),
  probe: binanceProbe,
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

/** On the combined stream (`/stream`): a partial-depth push names no symbol, its envelope's stream name does. */
export const binanceDepth5: StreamProtocol = {
  channel: "depth5@100ms",
  url: binanceUrl("/stream"),
  subscribe: binanceSubscribe("depth5@100ms"),
  probe: binanceProbe,
  ids: (symbols) => new Map(symbols.map((s) => [binanceStream(s, "depth5@100ms"), s])),
  parse(text, symbolOf) {
    const m = parseJson(text);
    if (!m) return { kind: "garbage", why: "not a JSON object" };
    if ("result" in m || "id" in m) return m.error ? { kind: "garbage", why: "error reply" } : { kind: "ignore" };
    const symbol = typeof m.stream === "string" ? symbolOf.get(m.stream) : undefined;
    if (!symbol) return { kind: "garbage", why: "stream: not a subscribed stream" };
    const data = m.data as Record<string, unknown> | undefined;
    const bid = bestOf(data?.bids);
    const ask = bestOf(data?.asks);
    if (!(bid > 0) || !(ask > 0)) return { kind: "garbage", why: "data.bids/asks: no positive best price" };
    return { kind: "top", top: { symbol, bid, ask } };
  },
};

const okxPublicUrl = ({ baseUrl, sandbox }: { baseUrl: string | null; sandbox: boolean }) =>
  baseUrl
    ? `${wsOrigin(baseUrl)}/ws/v5/public`
    : sandbox
    ? "wss://wspap.okx.com:8443/ws/v5/public"
    : "wss://ws.okx.com:8443/ws/v5/public";

function okxSubscribe(channel: string) {
  return (symbols: readonly string[]) => [
    JSON.stringify({ op: "subscribe", args: symbols.map((s) => ({ channel, instId: s.replace("/", "-") })) }),
  ];
}

const okxIds = (symbols: readonly string[]) => new Map(symbols.map((s) => [s.replace("/", "-"), s]));

/** An OKX push's event or pong, when it is not data: ignore, or garbage for an error event. */
function okxControl(text: string, m: Record<string, unknown> | undefined): Parsed | undefined {
  if (text === "pong") return { kind: "ignore" };
  if (!m) return { kind: "garbage", why: "not a JSON object" };
  if (typeof m.event === "string") {
    return m.event === "error" ? { kind: "garbage", why: "error event" } : { kind: "ignore" };
  }
  return undefined;
}

/** An OKX public channel: subscribe, probe and control messages are the same; `readTop` reads one data push. */
function okxChannel(
  channel: string,
  readTop: (m: Record<string, unknown>, symbolOf: Map<string, string>) => Parsed,
): StreamProtocol {
  return {
    channel,
    url: okxPublicUrl,
    subscribe: okxSubscribe(channel),
    probe: () => "ping",
    ids: okxIds,
    parse(text, symbolOf) {
      const m = text === "pong" ? undefined : parseJson(text);
      const control = okxControl(text, m);
      if (control || !m) return control ?? { kind: "garbage", why: "not a JSON object" };
      return readTop(m, symbolOf);
    },
  };
}

export const okxTickers = okxChannel("tickers", (m, symbolOf) => {
  const data = Array.isArray(m.data) ? m.data[0] as Record<string, unknown> | undefined : undefined;
  const symbol = data && typeof data.instId === "string" ? symbolOf.get(data.instId) : undefined;
  if (!data || !symbol) return { kind: "garbage", why: "data[0].instId: not a subscribed instrument" };
  const bid = price(data.bidPx);
  const ask = price(data.askPx);
  if (!(bid > 0) || !(ask > 0)) return { kind: "garbage", why: "bidPx/askPx: not positive decimal strings" };
  return { kind: "top", top: { symbol, bid, ask } };
});

/** bbo-tbt names its instrument in `arg` only. */
export const okxBboTbt = okxChannel("bbo-tbt", (m, symbolOf) => {
  const arg = m.arg as Record<string, unknown> | undefined;
  const symbol = arg && typeof arg.instId === "string" ? symbolOf.get(arg.instId) : undefined;
  if (!symbol) return { kind: "garbage", why: "arg.instId: not a subscribed instrument" };
  const data = Array.isArray(m.data) ? m.data[0] as Record<string, unknown> | undefined : undefined;
  const bid = bestOf(data?.bids);
  const ask = bestOf(data?.asks);
  if (!(bid > 0) || !(ask > 0)) return { kind: "garbage", why: "data[0].bids/asks: no positive best price" };
  return { kind: "top", top: { symbol, bid, ask } };
});

export const STREAM_PROTOCOLS: Record<Venue, Record<BookUpdates, StreamProtocol>> = {
  binance: { conflated: binanceDepth5, every_change: binanceBookTicker },
  okx: { conflated: okxTickers, every_change: okxBboTbt },
};
