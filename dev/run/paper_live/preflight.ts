/**
 * Before paper-live starts anything, one cheap public request per venue (the same hosts ccxt will use), each bounded
 * by a timeout, so an unreachable venue is reported in seconds ("cannot reach api.binance.com: connection refused")
 * instead of as a stack that starts and then fails every call.
 */

export const PAPER_LIVE_VENUES = ["binance", "okx"] as const;
export type PaperLiveVenue = (typeof PAPER_LIVE_VENUES)[number];

/** The origins ccxt uses for spot public data (binance `urls.api.public`, okx `urls.api.rest` with www.okx.com). */
export const REAL_BASE_URLS: Record<PaperLiveVenue, string> = {
  binance: "https://api.binance.com",
  okx: "https://www.okx.com",
};

/** Unauthenticated, weight-1 endpoints every venue answers with 200. */
export const PROBE_PATHS: Record<PaperLiveVenue, string> = {
  binance: "/api/v3/ping",
  okx: "/api/v5/public/time",
};

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

export class VenueUnreachableError extends Error {
  constructor(readonly venue: PaperLiveVenue, readonly host: string, readonly detail: string) {
    // An override (a proxy, a test's port) does not name the venue; say which one it stands for.
    super(`cannot reach ${host}${host.includes(venue) ? "" : ` (${venue})`}: ${detail}`);
    this.name = "VenueUnreachableError";
  }
}

/** A short reason from fetch's error text (Deno nests the OS error deep in it). */
export function describeFetchFailure(error: unknown): string {
  const text = error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : String(error);
  if (/connection refused/i.test(text)) return "connection refused";
  if (/dns error|failed to lookup|name or service not known|temporary failure in name resolution/i.test(text)) {
    return "DNS lookup failed (no route to the internet?)";
  }
  if (/network is unreachable/i.test(text)) return "network is unreachable";
  if (/connection reset/i.test(text)) return "connection reset";
  if (/certificate|tls|ssl/i.test(text)) return `TLS failed: ${text.slice(0, 200)}`;
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
}

export interface ProbeOptions {
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Resolves when the venue answers 2xx within the timeout; otherwise rejects with VenueUnreachableError. */
export async function probeVenue(venue: PaperLiveVenue, baseUrl: string, options: ProbeOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  const base = new URL(baseUrl);
  const url = `${baseUrl.replace(/\/+$/, "")}${PROBE_PATHS[venue]}`;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await doFetch(url, { signal: controller.signal, headers: { accept: "application/json" } });
    const body = (await response.text()).slice(0, 200).replace(/\s+/g, " ");
    if (!response.ok) {
      // 451/403: the venue refuses this region; 418/429: this IP is limited. Either way no market data.
      throw new VenueUnreachableError(venue, base.host, `HTTP ${response.status} from ${url}: ${body}`);
    }
  } catch (error) {
    if (error instanceof VenueUnreachableError) throw error;
    const detail = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : describeFetchFailure(error);
    throw new VenueUnreachableError(venue, base.host, detail);
  } finally {
    clearTimeout(timer);
  }
}

/** Probes every venue at once; returns the failures (empty: all reachable). Takes at most about one timeout. */
export async function probeVenues(
  baseUrls: Record<PaperLiveVenue, string>,
  options: ProbeOptions = {},
): Promise<VenueUnreachableError[]> {
  const results = await Promise.allSettled(
    PAPER_LIVE_VENUES.map((venue) => probeVenue(venue, baseUrls[venue], options)),
  );
  return results.flatMap((result) => {
    if (result.status === "fulfilled") return [];
    if (result.reason instanceof VenueUnreachableError) return [result.reason];
    throw result.reason;
  });
}
