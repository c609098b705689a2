// What a venue's private order-stream adapter (ws_user_binance.ts, ws_user_okx.ts) gives the user-stream hub
// (ws_user_hub.ts): how to answer a client's text, and what each order event of the engine looks like on the wire.

import type { VenueEngine } from "./engine.ts";
import type { OrderEvent } from "./orders.ts";
import type { SimAlgo } from "./algo_orders.ts";

/** One private socket's session: which account it authenticated as and what it listens to. */
export interface UserSession {
  connId: string;
  /** set by a successful login / signed subscription */
  accountId?: string;
  /** Binance: the subscription ids handed out on this socket; OKX: 0 once `orders` is subscribed */
  subscriptions: number[];
  /** OKX: the instId the `orders` subscription is narrowed to, if any */
  instId?: string;
  /** OKX: the `orders-algo` channel is subscribed */
  algoSubscribed?: boolean;
}

export interface UserStreamProtocol {
  matches(path: string): boolean;
  /** Answers one client text (async: signatures are checked with WebCrypto); may update the session. */
  onText(text: string, session: UserSession, engine: VenueEngine): Promise<string[]>;
  /** The pushes for one order event on this session (none when it is not for it). */
  eventMessages(event: OrderEvent, session: UserSession, engine: VenueEngine): string[];
  /** The pushes for one algo placed or changed (OKX's orders-algo channel); absent where the venue has none. */
  algoMessages?(algo: SimAlgo, session: UserSession, engine: VenueEngine): string[];
}
