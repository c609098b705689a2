/**
 * Builds a venue's private order stream from env: the venue keys the exchange layer holds, the venue's private
 * endpoint or the one under the base-URL override (BINANCE_BASE_URL / OKX_BASE_URL: the simulator in tests), testnet
 * endpoints in testnet mode. None in paper mode (there are no orders at a venue) or without keys.
 */
import type { Env } from "../env.ts";
import type { Venue } from "../exchange/venues.ts";
import type { TradingMode } from "../settings.ts";
import { OrderStream } from "./order_stream.ts";
import { ORDER_STREAM_PROTOCOLS } from "./protocols.ts";

/**
 * Nothing heard for this long and the socket is replaced. The order stream is quiet whenever nothing trades, so its
 * liveness rests on the probe sent at half this (Binance `ping`, OKX "ping"), answered within milliseconds.
 */
export const ORDER_STREAM_STALL_MS = 3_000;

export type OrderStreamFactory = (venue: Venue, mode: TradingMode) => OrderStream | undefined;

export function orderStreamFactory(env: Pick<Env, "baseUrls" | "credentials">): OrderStreamFactory {
  return (venue, mode) => {
    const credentials = env.credentials[venue];
    if (mode === "paper" || !credentials) return undefined;
    const protocol = ORDER_STREAM_PROTOCOLS[venue];
    const url = protocol.url({ baseUrl: env.baseUrls[venue] ?? null, sandbox: mode === "testnet" });
    return new OrderStream({ url, protocol, credentials, stallMs: ORDER_STREAM_STALL_MS });
  };
}
