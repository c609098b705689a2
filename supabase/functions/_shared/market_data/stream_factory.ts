/**
 * Builds a venue's book-top stream from env: the venue's public stream URL, or the one under the base-URL override
 * (BINANCE_BASE_URL / OKX_BASE_URL: the simulator in tests), testnet endpoints in testnet mode.
 */
import type { Env } from "../env.ts";
import type { Venue } from "../exchange/venues.ts";
import type { BookUpdates, TradingMode } from "../settings.ts";
import { STREAM_PROTOCOLS } from "./protocols.ts";
import { QuoteStream } from "./quote_stream.ts";

/**
 * Nothing for this long (a probe answered included) and the socket is replaced: well above a live venue's push gaps
 * (every channel pushes several times a second on a liquid pair; the probe at half covers a quiet one).
 */
export const STREAM_STALL_MS = 3_000;

export type QuoteStreamFactory = (
  venue: Venue,
  mode: TradingMode,
  symbols: readonly string[],
  bookUpdates: BookUpdates,
) => QuoteStream;

export function quoteStreamFactory(env: Pick<Env, "baseUrls">): QuoteStreamFactory {
  return (venue, mode, symbols, bookUpdates) => {
    const protocol = STREAM_PROTOCOLS[venue][bookUpdates];
    const url = protocol.url({ baseUrl: env.baseUrls[venue] ?? null, sandbox: mode === "testnet" });
    return new QuoteStream({ url, protocol, symbols, stallMs: STREAM_STALL_MS });
  };
}
