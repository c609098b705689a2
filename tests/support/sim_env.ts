/** The function env that points the exchange layer at the simulator: its base URLs and its demo keys. */

import type { Simulator } from "../../dev/sim/server.ts";

export interface SimulatorEnvOptions {
  /** A proxy origin in front of the simulator (it serves `/binance` and `/okx` like the simulator does). */
  via?: string;
  /** Variables that replace or add to the defaults: other keys, a shorter exchange timeout, SUPABASE_URL, … */
  overrides?: Record<string, string>;
}

export function simulatorEnv(sim: Simulator, options: SimulatorEnvOptions = {}): Record<string, string> {
  return {
    BINANCE_API_KEY: sim.binance.apiKey,
    BINANCE_API_SECRET: sim.binance.secret,
    BINANCE_BASE_URL: options.via ? `${options.via}/binance` : sim.binance.baseUrl,
    OKX_API_KEY: sim.okx.apiKey,
    OKX_API_SECRET: sim.okx.secret,
    OKX_PASSPHRASE: sim.okx.passphrase,
    OKX_BASE_URL: options.via ? `${options.via}/okx` : sim.okx.baseUrl,
    EXCHANGE_TIMEOUT_MS: "5000",
    ...options.overrides,
  };
}
