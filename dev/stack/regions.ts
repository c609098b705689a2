/**
 * The local model of distance (issue 18): a latency matrix of one-way delays between each Edge region and each venue
 * of the simulator, and between each region and the database, applied by loopback delay proxies. A function in
 * region R reaches the venues through R's venue proxies (BINANCE_BASE_URL / OKX_BASE_URL) and the database through
 * R's PostgREST-hop proxy (SUPABASE_URL → the gateway's /rest/v1). Calls between regions and callers (the
 * scheduler → gateway) are not delayed: the model is about the burst's own round trips.
 *
 * Figures (REALISTIC_MATRIX): half the average inter-region round trips of the "Latency Between AWS Global Regions"
 * table (as reproduced at acomputerscientistlearnsaws.blogspot.com/2017/04/aws-regions.html; cloudping.io publishes
 * live ones of the same kind): Tokyo–Singapore 73.8 ms, Tokyo–Frankfurt 236.5, Tokyo–N. Virginia 145.3,
 * Singapore–Frankfurt 325.9 (2017; today's routes are shorter), Singapore–N. Virginia 216.7, Frankfurt–N. Virginia
 * 88.7. Binance's matching engine is taken to be in AWS Tokyo (1 ms from ap-northeast-1). OKX is taken to be in Hong
 * Kong, which that table lacks: modelled as 16 ms one way from Singapore and 25 ms from Tokyo (an assumption, ~HK–SG
 * and ~HK–Tokyo round trips of 32 and 50 ms), and via those two regions for the others.
 */
import { type DelayProxy, startDelayProxy } from "./delay_proxy.ts";

export const MATRIX_VENUES = ["binance", "okx"] as const;
export type MatrixVenue = (typeof MATRIX_VENUES)[number];

export interface LatencyMatrix {
  /** Region → venue → one-way ms. Every modelled region has a row. */
  venueOneWayMs: Record<string, Record<MatrixVenue, number>>;
  /** Region → one-way ms to the database (the project's region is ~1). */
  databaseOneWayMs: Record<string, number>;
}

/** Project (database) in Frankfurt; see the header for where each figure comes from. */
export const REALISTIC_MATRIX: LatencyMatrix = {
  venueOneWayMs: {
    "ap-northeast-1": { binance: 1, okx: 25 },
    "ap-southeast-1": { binance: 37, okx: 16 },
    "eu-central-1": { binance: 118, okx: 179 },
    "us-east-1": { binance: 73, okx: 124 },
  },
  databaseOneWayMs: { "ap-northeast-1": 118, "ap-southeast-1": 163, "eu-central-1": 1, "us-east-1": 44 },
};

export function matrixRegions(matrix: LatencyMatrix): string[] {
  return Object.keys(matrix.venueOneWayMs);
}

export interface RegionNetwork {
  matrix(): LatencyMatrix;
  /** Env for a function in `region` (what StackRegions.regionEnv wants). */
  regionEnv(region: string, gatewayUrl: string): Record<string, string>;
  /** Changes delays in force (new connections and bytes from now on), e.g. to move a venue's best region. */
  setMatrix(matrix: LatencyMatrix): void;
  stop(): Promise<void>;
}

export interface RegionNetworkOptions {
  matrix: LatencyMatrix;
  /** The simulator's origin (it serves /binance and /okx). */
  simOrigin: string;
}

function portOf(origin: string): number {
  const url = new URL(origin);
  if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") {
    throw new Error(`region network: ${origin} is not a loopback origin`);
  }
  return Number(url.port);
}

export function startRegionNetwork(options: RegionNetworkOptions): RegionNetwork {
  let matrix = options.matrix;
  const simPort = portOf(options.simOrigin);
  const venueProxies = new Map<string, DelayProxy>();
  const dbProxies = new Map<string, DelayProxy>();
  const row = (region: string) => {
    const venues = matrix.venueOneWayMs[region];
    const db = matrix.databaseOneWayMs[region];
    if (!venues || db === undefined) throw new Error(`latency matrix has no row for region ${region}`);
    return { venues, db };
  };
  return {
    matrix: () => matrix,
    regionEnv(region, gatewayUrl) {
      const { venues, db } = row(region);
      const env: Record<string, string> = {};
      for (const venue of MATRIX_VENUES) {
        const key = `${region}/${venue}`;
        let proxy = venueProxies.get(key);
        if (!proxy) venueProxies.set(key, proxy = startDelayProxy(simPort, venues[venue]));
        env[`${venue.toUpperCase()}_BASE_URL`] = `${proxy.origin}/${venue}`;
      }
      let dbProxy = dbProxies.get(region);
      if (!dbProxy) dbProxies.set(region, dbProxy = startDelayProxy(portOf(gatewayUrl), db));
      env.SUPABASE_URL = dbProxy.origin;
      return env;
    },
    setMatrix(next) {
      matrix = next;
      for (const [key, proxy] of venueProxies) {
        const [region, venue] = key.split("/") as [string, MatrixVenue];
        proxy.setDelayMs(row(region).venues[venue]);
      }
      for (const [region, proxy] of dbProxies) proxy.setDelayMs(row(region).db);
    },
    async stop() {
      await Promise.all([...venueProxies.values(), ...dbProxies.values()].map((p) => p.stop()));
    },
  };
}
