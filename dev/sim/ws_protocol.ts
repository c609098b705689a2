// What a venue's WebSocket protocol adapter (ws_binance.ts, ws_okx.ts) gives the stream hub (ws_hub.ts).

import type { Quote } from "./types.ts";

/** What a client's text message asks for. Keys are `channel|symbol`. */
export interface SubscriptionChange {
  replies: string[];
  subscribe?: string[];
  unsubscribe?: string[];
  /** LIST_SUBSCRIPTIONS with this id */
  list?: unknown;
}

export interface StreamProtocol {
  matches(path: string): boolean;
  /** subscriptions named in the URL */
  initial(path: string, url: URL, symbols: readonly string[]): string[];
  onText(text: string, symbols: readonly string[]): SubscriptionChange;
  listReply(id: unknown, subscribed: string[]): string;
  /** `path`: the socket's own (Binance wraps pushes on /stream). */
  quoteMessage(key: string, quote: Quote, updateId: number, nowMs: number, path: string): string;
  symbolOfKey?(key: string): string;
  /**
   * A conflated channel: at most one push per `everyMs`; `repeat` true sends one every interval whether the top changed
   * or not (Binance partial depth), false only when it changed (OKX tickers). Undefined: every change is pushed.
   */
  pacingOfKey?(key: string): { everyMs: number; repeat: boolean } | undefined;
}
