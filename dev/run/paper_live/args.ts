/**
 * Flags of `deno task paper-live` (the demo's, minus the seed) and the base-URL overrides: PAPER_LIVE_BINANCE_URL and
 * PAPER_LIVE_OKX_URL replace the venues' origins (a proxy; tests point them at a closed loopback port).
 */

import { parseArgs } from "node:util";
import { REPO_ROOT } from "../../stack/commands.ts";
import { COMMON_FLAGS, type CommonOptions, commonOptions, parsePositiveInteger, UsageError } from "../args.ts";
import { DEFAULT_PROBE_TIMEOUT_MS, PAPER_LIVE_VENUES, type PaperLiveVenue, REAL_BASE_URLS } from "./preflight.ts";

export const DEFAULT_PAPER_LIVE_DATA_DIR = `${REPO_ROOT}/.local/paper-live`;

export const BASE_URL_OVERRIDE_VARS: Record<PaperLiveVenue, string> = {
  binance: "PAPER_LIVE_BINANCE_URL",
  okx: "PAPER_LIVE_OKX_URL",
};

export const PAPER_LIVE_USAGE = `Usage: deno task paper-live [--reset] [--data-dir DIR] [--db-url URL] [--no-dashboard]
                            [--duration SECONDS] [--probe-timeout-ms MS] [--new-keys-only]

Paper trading on the real venues' public market data: no API keys, no real orders.

  --reset             wipe the paper-live database (and logs) in the data folder first
  --data-dir          default .local/paper-live, kept between runs
  --db-url            use this Postgres (schema applied) instead of the embedded one; env DATABASE_URL too
  --no-dashboard      plain progress lines instead of the refreshing dashboard
  --duration          stop by itself this many seconds after start-up
  --probe-timeout-ms  how long each venue gets to answer the reachability check (default ${DEFAULT_PROBE_TIMEOUT_MS})
  --new-keys-only     a local project without legacy JWT keys (sb_publishable_/sb_secret_ only)

Env PAPER_LIVE_BINANCE_URL / PAPER_LIVE_OKX_URL replace https://api.binance.com / https://www.okx.com (a proxy).
`;

export interface PaperLiveOptions extends CommonOptions {
  baseUrls: Record<PaperLiveVenue, string>;
  /** True for the venues whose URL came from an override (then passed to the functions as <VENUE>_BASE_URL). */
  overridden: Record<PaperLiveVenue, boolean>;
  probeTimeoutMs: number;
}

function parseBaseUrl(variable: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${variable} must be an http(s) URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${variable} must be an http(s) URL, got ${url.protocol}`);
  }
  if (url.search || url.hash) throw new UsageError(`${variable} may not carry a query or fragment`);
  return text.replace(/\/+$/, "");
}

export function parsePaperLiveArgs(
  args: readonly string[],
  env: (name: string) => string | undefined,
): PaperLiveOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...COMMON_FLAGS, "probe-timeout-ms": { type: "string" } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) throw new UsageError("");
  const baseUrls = { ...REAL_BASE_URLS };
  const overridden = { binance: false, okx: false };
  for (const venue of PAPER_LIVE_VENUES) {
    const variable = BASE_URL_OVERRIDE_VARS[venue];
    const text = env(variable);
    if (text !== undefined && text.trim() !== "") {
      baseUrls[venue] = parseBaseUrl(variable, text.trim());
      overridden[venue] = true;
    }
  }
  return {
    ...commonOptions(values, env, DEFAULT_PAPER_LIVE_DATA_DIR),
    baseUrls,
    overridden,
    probeTimeoutMs: values["probe-timeout-ms"] === undefined
      ? DEFAULT_PROBE_TIMEOUT_MS
      : parsePositiveInteger("--probe-timeout-ms", values["probe-timeout-ms"], 120_000),
  };
}
