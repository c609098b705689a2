/**
 * The venues we trade and everything that differs between them, in one table. Every per-venue branch reads it:
 * env.ts (credential and base-URL variables), ccxt_client.ts (ccxt id, options, features turned off),
 * venue_client.ts (how quotes are fetched), trade-burst/markets.ts (base-tier fees for paper fills).
 *
 * Plain data without a ccxt import, so modules outside exchange/ may read it. Adding a venue: one entry here, its
 * ccxt class in ccxt_client.ts's CCXT_CLASSES, its protocol in the simulator (dev/sim/), and tests.
 */

export const VENUES = ["binance", "okx"] as const;
export type Venue = (typeof VENUES)[number];

export interface CredentialVars {
  apiKey: string;
  secret: string;
  /** A third secret some venues ask for (OKX's passphrase; ccxt calls it `password`). */
  password?: string;
}

export interface FeeRates {
  maker: number;
  taker: number;
}

/** The venue requests a VenueClient makes, each with its cost in the venue's limits. */
export type VenueOperation =
  | "fetchServerTime"
  | "fetchBalances"
  | "fetchQuotes"
  | "loadMarkets"
  | "createOrder"
  | "fetchOrder"
  | "cancelOrder"
  | "fetchOpenOrders"
  | "fetchMyTrades"
  // Protection held as one venue object (OKX's oco algo): place, look up, list the live ones, cancel.
  | "createProtection"
  | "fetchProtection"
  | "fetchOpenProtection"
  | "cancelProtection";

/** One published limit: `limit` per `windowMs`, optionally echoed by the venue in a usage header. */
export interface VenueRateLimit {
  id: string;
  limit: number;
  windowMs: number;
  /** Lower-case response header carrying the venue's own count for the window. */
  usedHeader?: string;
  /** Share of the limit our bucket lets out at once (rate_limiter.ts; default 0.5); the rest refills evenly. */
  burstFraction?: number;
}

export interface VenueRateLimits {
  limits: readonly VenueRateLimit[];
  /** Cost of each operation in those limits (by limit id). loadMarkets is per request (OKX: one per instrument). */
  costs: Readonly<Record<VenueOperation, Readonly<Record<string, number>>>>;
}

export interface VenueProfile {
  /** ccxt's exchange id (its class name). */
  ccxtId: string;
  /** Environment variables holding the keys: all or none must be set. */
  credentialVars: CredentialVars;
  /** Environment variable that replaces the origin of every API URL (the simulator in tests, a proxy). */
  baseUrlVar: string;
  /** ccxt options that keep it on spot and away from endpoints the bot never needs. */
  ccxtOptions: Readonly<Record<string, unknown>>;
  /** ccxt `has` features switched off after construction (endpoints ccxt would otherwise call on its own). */
  ccxtFeaturesOff: readonly string[];
  /**
   * How best bid/ask for many symbols is read in one request: ccxt's fetchBidsAsks (Binance bookTicker?symbols=,
   * only the wanted ones come back), or OKX's whole tickers list with only the wanted entries parsed (ccxt's
   * fetchTickers would parse every one of several hundred).
   */
  quoteMethod: "fetchBidsAsks" | "okxTickersWanted";
  /**
   * The venue's published base-tier spot fees, used for paper fills. Without keys ccxt cannot ask for the account's
   * own tier, and its static figures are not always what the venue charges a regular account.
   */
  baseTierSpotFees: FeeRates;
  /**
   * Assets the venue may charge fees in besides the traded pair's (Binance: BNB when "pay fees with BNB" is on). Their
   * `<asset>/<quote>` markets are loaded with the traded ones so such a fee can be valued from a quote.
   */
  thirdFeeAssets: readonly string[];
  /** What ccxt's sandbox mode (our testnet mode) points at. */
  sandbox: string;
  /**
   * How the venue holds a position's take profit and stop loss as one linked list (protection_orders.ts), or null
   * when we do not place protection there (the burst then decides that venue's exits itself). `orderList/oco`: two
   * ordinary orders linked by the venue (Binance); `order-algo/oco`: one algo order holding both legs, which creates
   * an order only when a trigger fires (OKX).
   */
  protection: "orderList/oco" | "order-algo/oco" | null;
  /** The venue's published REST limits for the endpoints we call (our limiter enforces them, ccxt's is off). */
  rateLimits: VenueRateLimits;
  /** Unified spot symbol → the venue's market id (for filtered market loads before any market is known). */
  marketId(symbol: string): string;
  /** Market rules for a few symbols in one request (Binance) or one request per symbol (OKX instId). */
  marketsBySymbol: "one_request" | "per_symbol";
}

export const VENUE_PROFILES: Readonly<Record<Venue, VenueProfile>> = {
  binance: {
    ccxtId: "binance",
    credentialVars: { apiKey: "BINANCE_API_KEY", secret: "BINANCE_API_SECRET" },
    baseUrlVar: "BINANCE_BASE_URL",
    ccxtOptions: {
      defaultType: "spot",
      // loadMarkets: only GET /api/v3/exchangeInfo (no fapi/dapi exchangeInfo, no sapi margin pairs, no sapi coins)
      fetchMarkets: { types: ["spot"] },
      fetchMargins: false,
      fetchCurrencies: false,
      // One openOrders request for all symbols (weight 80) is how a tick refreshes many working orders; ccxt refuses
      // it by default to protect clients that poll it.
      warnOnFetchOpenOrdersWithoutSymbol: false,
    },
    ccxtFeaturesOff: [],
    // GET /api/v3/ticker/bookTicker: best bid/ask only.
    quoteMethod: "fetchBidsAsks",
    baseTierSpotFees: { maker: 0.001, taker: 0.001 },
    thirdFeeAssets: ["BNB"],
    sandbox: "Binance spot testnet (testnet.binance.vision)",
    // POST /api/v3/orderList/oco through ccxt's implicit privatePostOrderListOco (no unified spot OCO in ccxt).
    protection: "orderList/oco",
    // https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits: REQUEST_WEIGHT 6000 per minute,
    // ORDERS 100 per 10 s per account (plus 200 000 a day, far above a burst). Weights from each endpoint's page.
    rateLimits: {
      limits: [
        // A small burst share leaves more for the sustained rate a 200 ms tick with working orders needs.
        { id: "weight", limit: 6000, windowMs: 60_000, usedHeader: "x-mbx-used-weight-1m", burstFraction: 0.25 },
        { id: "orders", limit: 100, windowMs: 10_000, usedHeader: "x-mbx-order-count-10s" },
      ],
      costs: {
        fetchServerTime: { weight: 1 }, // GET /api/v3/time
        fetchBalances: { weight: 20 }, // GET /api/v3/account
        fetchQuotes: { weight: 4 }, // GET /api/v3/ticker/bookTicker?symbols=
        loadMarkets: { weight: 20 }, // GET /api/v3/exchangeInfo
        createOrder: { weight: 1, orders: 1 }, // POST /api/v3/order
        fetchOrder: { weight: 4 }, // GET /api/v3/order
        cancelOrder: { weight: 1 }, // DELETE /api/v3/order
        fetchOpenOrders: { weight: 80 }, // GET /api/v3/openOrders without symbol (6 with one)
        fetchMyTrades: { weight: 20 }, // GET /api/v3/myTrades
        // Binance's legs are ordinary orders (createProtectionList counts as two createOrder); these are the order
        // list endpoints' own weights, for completeness: POST orderList/oco, GET orderList, GET openOrderList, DELETE.
        createProtection: { weight: 1, orders: 2 },
        fetchProtection: { weight: 4 },
        fetchOpenProtection: { weight: 6 },
        cancelProtection: { weight: 1 },
      },
    },
    marketId: (symbol) => symbol.replace("/", ""),
    marketsBySymbol: "one_request",
  },
  okx: {
    ccxtId: "okx",
    credentialVars: { apiKey: "OKX_API_KEY", secret: "OKX_API_SECRET", password: "OKX_PASSPHRASE" },
    baseUrlVar: "OKX_BASE_URL",
    ccxtOptions: {
      defaultType: "spot",
      // loadMarkets: only GET /api/v5/public/instruments?instType=SPOT
      fetchMarkets: { types: ["spot"] },
    },
    // OKX's currencies endpoint is private and only feeds deposit/withdraw metadata we never use.
    ccxtFeaturesOff: ["fetchCurrencies"],
    // GET /api/v5/market/tickers?instType=SPOT: its bidPx/askPx, parsed for our instIds only.
    quoteMethod: "okxTickersWanted",
    // ccxt's static OKX figures (0.10 % maker / 0.15 % taker) are not what OKX charges a regular account.
    baseTierSpotFees: { maker: 0.0008, taker: 0.001 },
    thirdFeeAssets: [],
    sandbox: "OKX demo trading (x-simulated-trading header)",
    // POST /api/v5/trade/order-algo ordType "oco" through ccxt's unified createOrder(type "oco"); the legs are read
    // from the algo (GET order-algo / orders-algo-pending) and cancelled with it (POST cancel-algos).
    protection: "order-algo/oco",
    // https://www.okx.com/docs-v5/en/: every endpoint has its own "Rate Limit: N requests per 2 seconds" (by IP for
    // public ones, by user id for private ones). OKX sends no usage headers.
    rateLimits: {
      limits: [
        { id: "public/time", limit: 10, windowMs: 2_000 },
        { id: "account/balance", limit: 10, windowMs: 2_000 },
        { id: "market/tickers", limit: 20, windowMs: 2_000 },
        { id: "public/instruments", limit: 20, windowMs: 2_000 },
        { id: "trade/order", limit: 60, windowMs: 2_000 },
        { id: "trade/cancel-order", limit: 60, windowMs: 2_000 },
        { id: "trade/order-get", limit: 60, windowMs: 2_000 },
        { id: "trade/orders-pending", limit: 60, windowMs: 2_000 },
        { id: "trade/fills", limit: 60, windowMs: 2_000 },
        { id: "trade/order-algo", limit: 20, windowMs: 2_000 },
        { id: "trade/cancel-algos", limit: 20, windowMs: 2_000 },
        { id: "trade/order-algo-get", limit: 20, windowMs: 2_000 },
        { id: "trade/orders-algo-pending", limit: 20, windowMs: 2_000 },
      ],
      costs: {
        fetchServerTime: { "public/time": 1 },
        fetchBalances: { "account/balance": 1 },
        fetchQuotes: { "market/tickers": 1 },
        loadMarkets: { "public/instruments": 1 },
        // ccxt sends single orders through batch-orders (300 per 2 s); counted against the stricter order endpoint.
        createOrder: { "trade/order": 1 },
        fetchOrder: { "trade/order-get": 1 },
        cancelOrder: { "trade/cancel-order": 1 },
        fetchOpenOrders: { "trade/orders-pending": 1 },
        fetchMyTrades: { "trade/fills": 1 },
        createProtection: { "trade/order-algo": 1 },
        fetchProtection: { "trade/order-algo-get": 1 },
        fetchOpenProtection: { "trade/orders-algo-pending": 1 },
        cancelProtection: { "trade/cancel-algos": 1 },
      },
    },
    marketId: (symbol) => symbol.replace("/", "-"),
    marketsBySymbol: "per_symbol",
  },
};

/** The venue's credential variable names, in the order an operator sets them (all or none). */
export function credentialVarNames(venue: Venue): string[] {
  const vars = VENUE_PROFILES[venue].credentialVars;
  return [vars.apiKey, vars.secret, ...(vars.password ? [vars.password] : [])];
}

/** Type guard for a venue name read from outside (a table row, a request). */
export function isVenue(name: unknown): name is Venue {
  return typeof name === "string" && (VENUES as readonly string[]).includes(name);
}
