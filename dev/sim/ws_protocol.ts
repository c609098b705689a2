// What a venue's WebSocket protocol adapter (ws_binance.ts, ws_okx.ts) gives the stream hub (ws_hub.ts).

import type { Quote } from "./types.ts";

/** What a client's text message asks for. Keys are symbols (Binance) or `channel|symbol` (OKX). */
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
  quoteMessage(key: string, quote: Quote, updateId: number, nowMs: number): string;
  symbolOfKey?(key: string): string;
}
