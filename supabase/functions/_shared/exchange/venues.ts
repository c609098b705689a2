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
  /** The ccxt method that reads best bid/ask for many symbols in one request. */
  quoteMethod: "fetchBidsAsks" | "fetchTickers";
  /**
   * The venue's published base-tier spot fees, used for paper fills. Without keys ccxt cannot ask for the account's
   * own tier, and its static figures are not always what the venue charges a regular account.
   */
  baseTierSpotFees: FeeRates;
  /** What ccxt's sandbox mode (our testnet mode) points at. */
  sandbox: string;
  /**
   * How the venue holds a position's take profit and stop loss as one linked list (protection_orders.ts), or null
   * when we do not place protection there yet (the burst then decides that venue's exits itself).
   */
  protection: "orderList/oco" | null;
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
    },
    ccxtFeaturesOff: [],
    // GET /api/v3/ticker/bookTicker: best bid/ask only.
    quoteMethod: "fetchBidsAsks",
    baseTierSpotFees: { maker: 0.001, taker: 0.001 },
    sandbox: "Binance spot testnet (testnet.binance.vision)",
    // POST /api/v3/orderList/oco through ccxt's implicit privatePostOrderListOco (no unified spot OCO in ccxt).
    protection: "orderList/oco",
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
    // GET /api/v5/market/tickers: its bidPx/askPx.
    quoteMethod: "fetchTickers",
    // ccxt's static OKX figures (0.10 % maker / 0.15 % taker) are not what OKX charges a regular account.
    baseTierSpotFees: { maker: 0.0008, taker: 0.001 },
    sandbox: "OKX demo trading (x-simulated-trading header)",
    // Not yet: OKX's `oco` algo order (POST /api/v5/trade/order-algo) has one algoId for both legs and no order to
    // look up until it triggers; attachAlgoOrds on the entry likewise. Until then OKX exits are the burst's.
    protection: null,
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
