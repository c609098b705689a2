/**
 * Flags of `deno task demo`, validated up front; every problem names the flag (or variable) to fix.
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { REPO_ROOT } from "../stack/commands.ts";

export const DEFAULT_DEMO_DATA_DIR = `${REPO_ROOT}/.local/demo`;
export const DEFAULT_DEMO_SEED = 1;
/** A run longer than a day is not a demo any more; the bound also keeps setTimeout within its range. */
export const MAX_DURATION_SECONDS = 86_400;

export const DEMO_USAGE = `Usage: deno task demo [--reset] [--data-dir DIR] [--db-url URL] [--seed N] [--no-dashboard]
                      [--duration SECONDS] [--new-keys-only] [--regions]

  --reset          wipe the demo's database (and logs) in the data folder first
  --data-dir       where the embedded database and logs live (default .local/demo, kept between runs)
  --db-url         use this Postgres (bootstrap and migrations already applied) instead of the embedded one;
                   env DATABASE_URL does the same
  --seed           seed of the simulated market's prices (default ${DEFAULT_DEMO_SEED})
  --no-dashboard   plain progress lines instead of the refreshing dashboard
  --duration       stop by itself this many seconds after start-up (default: run until Ctrl-C)
  --new-keys-only  a local project without legacy JWT keys (sb_publishable_/sb_secret_ only), like one created today
  --regions        model Edge regions (issue 18): each function runs in Tokyo, Singapore, Frankfurt and N. Virginia
                   behind a latency matrix resembling reality (dev/stack/regions.ts), the database in Frankfurt; the
                   bot samples from every region and trades each venue from its home region (12 function processes,
                   a slower start, bursts slowed by their distance to the database)
`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface CommonOptions {
  reset: boolean;
  dataDir: string;
  /** A real Postgres instead of the embedded one. */
  databaseUrl: string | undefined;
  dashboard: boolean;
  durationSeconds: number | undefined;
  /** The local stack without legacy JWT keys. */
  newKeysOnly: boolean;
}

export interface DemoOptions extends CommonOptions {
  seed: number;
  /** --regions: the latency model of issue 18 (off by default: 12 processes instead of 3). */
  regions: boolean;
}

/** The flags demo and paper-live share, for parseArgs. */
export const COMMON_FLAGS = {
  reset: { type: "boolean", default: false },
  "data-dir": { type: "string" },
  "db-url": { type: "string" },
  "no-dashboard": { type: "boolean", default: false },
  duration: { type: "string" },
  "new-keys-only": { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

export function parsePositiveInteger(flag: string, text: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function parseDatabaseUrl(source: string, text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let protocol: string;
  try {
    protocol = new URL(text).protocol;
  } catch {
    throw new UsageError(`${source} must be a postgres:// URL, got an unparsable value`);
  }
  if (protocol !== "postgres:" && protocol !== "postgresql:") {
    throw new UsageError(`${source} must be a postgres:// or postgresql:// URL, got ${protocol}`);
  }
  return text.trim();
}

interface CommonValues {
  reset: boolean;
  "data-dir"?: string;
  "db-url"?: string;
  "no-dashboard": boolean;
  duration?: string;
  "new-keys-only": boolean;
}

export function commonOptions(
  values: CommonValues,
  env: (name: string) => string | undefined,
  defaultDataDir: string,
): CommonOptions {
  const databaseUrl = values["db-url"] !== undefined
    ? parseDatabaseUrl("--db-url", values["db-url"])
    : parseDatabaseUrl("env DATABASE_URL", env("DATABASE_URL"));
  if (values["db-url"] !== undefined && databaseUrl === undefined) throw new UsageError("--db-url must not be empty");
  if (values["data-dir"] !== undefined && values["data-dir"].trim() === "") {
    throw new UsageError("--data-dir must not be empty");
  }
  return {
    reset: values.reset,
    dataDir: resolve(values["data-dir"] ?? defaultDataDir),
    databaseUrl,
    dashboard: !values["no-dashboard"],
    durationSeconds: values.duration === undefined
      ? undefined
      : parsePositiveInteger("--duration", values.duration, MAX_DURATION_SECONDS),
    newKeysOnly: values["new-keys-only"],
  };
}

/** Throws UsageError (with an empty message for --help). */
export function parseDemoArgs(args: readonly string[], env: (name: string) => string | undefined): DemoOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...COMMON_FLAGS, seed: { type: "string" }, regions: { type: "boolean", default: false } },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) throw new UsageError("");
  const seedText = values.seed ?? String(DEFAULT_DEMO_SEED);
  const seed = Number(seedText);
  if (!/^\d+$/.test(seedText.trim()) || !Number.isSafeInteger(seed) || seed > 0xffff_ffff) {
    throw new UsageError(`--seed must be a whole number from 0 to 4294967295, got ${JSON.stringify(seedText)}`);
  }
  return { ...commonOptions(values, env, DEFAULT_DEMO_DATA_DIR), seed, regions: values.regions };
}
