/**
 * Who may call the venue functions: a caller whose `apikey` header is one of the project's secret keys
 * (SUPABASE_SECRET_KEYS, a JSON map of name → `sb_secret_…`), or, the legacy path, whose `Authorization: Bearer` is
 * SUPABASE_SERVICE_ROLE_KEY. No credential → 401; any other credential (anon or publishable key, a user's JWT, a key
 * of another project, the secret key in the wrong header) → 403.
 *
 * This runs before the rest of the env is validated, so it reads only the two key variables, and leniently: a caller
 * who is refused must learn nothing about the configuration, not even that a variable is malformed (the accepted
 * caller gets that 500 from the full env check right after).
 *
 * Why not `@supabase/server` (`withSupabase({ auth: 'secret' })`): it has no legacy service-role bearer mode; it
 * answers 401 for every refusal; it answers an anonymous caller 500 "no secret key configured" on a legacy-only
 * project and puts the configured key names in its error details; and it validates SUPABASE_URL before the caller.
 */
import { ForbiddenError, UnauthorizedError } from "./http.ts";

export interface CallerKeys {
  /** Name → secret key; empty when the project has none (or the variable is unreadable). */
  secretKeys: Readonly<Record<string, string>>;
  serviceRoleKey?: string;
}

export type AcceptedCaller = { kind: "secret-key"; keyName: string } | { kind: "legacy-service-role" };

/**
 * Parses SUPABASE_SECRET_KEYS: a JSON object whose values are non-empty strings. Returns undefined when it is not
 * (the full env check names the problem); never echoes the value.
 */
export function parseSecretKeys(raw: string | undefined): Record<string, string> | undefined {
  if (raw === undefined || raw.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const keys: Record<string, string> = {};
  for (const [name, key] of Object.entries(value)) {
    if (typeof key !== "string" || key.trim() === "") return undefined;
    keys[name] = key.trim();
  }
  return keys;
}

/** The caller-check keys from the process env (or `source`), read leniently: nothing here throws. */
export function callerKeysFrom(source: Record<string, string | undefined> = Deno.env.toObject()): CallerKeys {
  const serviceRoleKey = source.SUPABASE_SERVICE_ROLE_KEY?.trim() || undefined;
  return { secretKeys: parseSecretKeys(source.SUPABASE_SECRET_KEYS) ?? {}, serviceRoleKey };
}

/** Equal-time comparison of two strings (time depends on the lengths only, not on where they differ). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  const length = Math.max(left.length, right.length);
  let diff = left.length ^ right.length;
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return diff === 0;
}

/** The `Bearer` token, or undefined when Authorization is absent, empty or another scheme. */
function bearerToken(req: Request): string | undefined {
  const match = req.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/** Accepts the caller or throws UnauthorizedError (401) / ForbiddenError (403). The answer never names a key. */
export function requireServerCaller(req: Request, keys: CallerKeys): AcceptedCaller {
  const apikey = req.headers.get("apikey")?.trim() || undefined;
  const bearer = bearerToken(req);
  if (apikey === undefined && bearer === undefined) {
    throw new UnauthorizedError("missing credential: send the project's secret key in the apikey header");
  }
  // Every configured key is compared, with no early exit, so the time taken says nothing about which (if any) matched.
  let secretMatch: string | undefined;
  if (apikey !== undefined) {
    for (const [name, key] of Object.entries(keys.secretKeys)) {
      if (constantTimeEqual(apikey, key) && secretMatch === undefined) secretMatch = name;
    }
  }
  const legacyMatch = bearer !== undefined && keys.serviceRoleKey !== undefined &&
    constantTimeEqual(bearer, keys.serviceRoleKey);
  if (secretMatch !== undefined) return { kind: "secret-key", keyName: secretMatch };
  if (legacyMatch) return { kind: "legacy-service-role" };
  throw new ForbiddenError("only a caller holding the project's secret key may call this function");
}
