/**
 * All environment variables the functions read, validated once with zod. A missing or malformed variable fails with
 * an EnvError naming it, instead of a client built from `?? ""` failing somewhere later.
 */
import { z } from "zod";
import { parseSecretKeys } from "./caller.ts";
import { regionFromEnv } from "./regions/region_settings.ts";
import { credentialVarNames, type Venue, VENUE_PROFILES, VENUES } from "./exchange/venues.ts";

export interface VenueCredentials {
  apiKey: string;
  secret: string;
  /** OKX passphrase (ccxt calls it `password`). */
  password?: string;
}

export interface Env {
  supabaseUrl: string;
  /** SUPABASE_SECRET_KEYS: name → `sb_secret_…`; empty on a project that has only legacy keys. */
  secretKeys: Record<string, string>;
  /** SUPABASE_SERVICE_ROLE_KEY, the legacy key; undefined on a project created without legacy keys. */
  serviceRoleKey?: string;
  /** The key supabase-js uses inside the functions: the `default` secret key (else the first one), else the legacy key. */
  serverKey: string;
  anonKey?: string;
  /** Only the venues whose whole credential group is set. */
  credentials: Partial<Record<Venue, VenueCredentials>>;
  /** Base-URL overrides (a proxy, or the simulator in tests). */
  baseUrls: Partial<Record<Venue, string>>;
  /** ALLOW_LIVE_TRADING=true: the env half of the live opt-in (settings hold the other half). */
  allowLiveTrading: boolean;
  /** Per-request timeout given to ccxt. */
  exchangeTimeoutMs: number;
  /** SB_REGION: the Edge region this isolate runs in, as the platform reports it; null/absent when it does not. */
  region?: string | null;
}

export const DEFAULT_EXCHANGE_TIMEOUT_MS = 10_000;

export class EnvError extends Error {
  override name = "EnvError";
  constructor(readonly variable: string, problem: string) {
    super(`environment variable ${variable} ${problem}`);
  }
}

const present = (value: string | undefined) => value !== undefined && value.trim() !== "";

const httpUrl = z.url({ protocol: /^https?$/ });
const positiveMs = z.coerce.number().int().min(100).max(120_000);
const flag = z.enum(["true", "false", "1", "0", "yes", "no"]);

function parseVar<T>(schema: z.ZodType<T>, name: string, value: string, expectation: string): T {
  const parsed = schema.safeParse(value.trim());
  if (!parsed.success) throw new EnvError(name, `is malformed: expected ${expectation}, got "${value}"`);
  return parsed.data;
}

function requireVar(source: Record<string, string | undefined>, name: string): string {
  const value = source[name];
  if (!present(value)) throw new EnvError(name, "is required but missing or empty");
  return value!.trim();
}

/** Reads and validates env from `source` (default: the process env). Throws EnvError naming the variable. */
export function loadEnv(source: Record<string, string | undefined> = Deno.env.toObject()): Env {
  const supabaseUrl = parseVar(httpUrl, "SUPABASE_URL", requireVar(source, "SUPABASE_URL"), "an http(s) URL");
  const secretKeys = parseSecretKeys(source.SUPABASE_SECRET_KEYS);
  // The value is a secret: the message says what is wrong, never what it holds.
  if (!secretKeys) {
    throw new EnvError("SUPABASE_SECRET_KEYS", 'is malformed: expected a JSON object like {"default": "sb_secret_…"}');
  }
  const serviceRoleKey = present(source.SUPABASE_SERVICE_ROLE_KEY)
    ? source.SUPABASE_SERVICE_ROLE_KEY!.trim()
    : undefined;
  const serverKey = secretKeys.default ?? Object.values(secretKeys)[0] ?? serviceRoleKey;
  if (serverKey === undefined) {
    throw new EnvError(
      "SUPABASE_SECRET_KEYS",
      "is required but missing or empty (and there is no legacy SUPABASE_SERVICE_ROLE_KEY either)",
    );
  }
  const anonKey = present(source.SUPABASE_ANON_KEY) ? source.SUPABASE_ANON_KEY!.trim() : undefined;

  const credentials: Env["credentials"] = {};
  const baseUrls: Env["baseUrls"] = {};
  for (const venue of VENUES) {
    const vars = VENUE_PROFILES[venue].credentialVars;
    const names = credentialVarNames(venue);
    const set = names.filter((name) => present(source[name]));
    if (set.length > 0 && set.length < names.length) {
      const [firstMissing = names.join(", ")] = names.filter((name) => !set.includes(name));
      throw new EnvError(
        firstMissing,
        `is missing while ${set.join(", ")} ${set.length === 1 ? "is" : "are"} set: ` +
          `set all of ${names.join(", ")} for ${venue}, or none`,
      );
    }
    if (set.length === names.length) {
      credentials[venue] = {
        apiKey: source[vars.apiKey]!.trim(),
        secret: source[vars.secret]!.trim(),
        ...(vars.password ? { password: source[vars.password]!.trim() } : {}),
      };
    }
    const baseUrlVar = VENUE_PROFILES[venue].baseUrlVar;
    if (present(source[baseUrlVar])) {
      baseUrls[venue] = parseVar(httpUrl, baseUrlVar, source[baseUrlVar]!, "an http(s) URL").replace(/\/+$/, "");
    }
  }

  const allowLiveTrading = present(source.ALLOW_LIVE_TRADING)
    ? ["true", "1", "yes"].includes(
      parseVar(flag, "ALLOW_LIVE_TRADING", source.ALLOW_LIVE_TRADING!.toLowerCase(), "true or false"),
    )
    : false;
  const exchangeTimeoutMs = present(source.EXCHANGE_TIMEOUT_MS)
    ? parseVar(positiveMs, "EXCHANGE_TIMEOUT_MS", source.EXCHANGE_TIMEOUT_MS!, "an integer number of ms, 100..120000")
    : DEFAULT_EXCHANGE_TIMEOUT_MS;

  return {
    supabaseUrl,
    secretKeys,
    serviceRoleKey,
    serverKey,
    anonKey,
    credentials,
    baseUrls,
    allowLiveTrading,
    exchangeTimeoutMs,
    region: regionFromEnv(source),
  };
}

let cached: Env | undefined;

/** The process env, validated on first use and then reused (env does not change while an isolate lives). */
export function getEnv(): Env {
  cached ??= loadEnv();
  return cached;
}
