/**
 * Table access for the functions: a supabase-js client acting as the service role (bypasses RLS), no session kept, and
 * the settings row read and validated.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { parseSettings, type Settings } from "./settings.ts";

export type Db = SupabaseClient;

/**
 * Upper bound of one PostgREST request. supabase-js sets none, so a database that stops answering (a hung proxy, a
 * blackholed host) would hold a burst, and its venue lease, until the Edge runtime kills it. Our queries are small
 * single-row reads and writes; one that takes this long is a dead connection, and fails as a DbError.
 */
export const DB_REQUEST_TIMEOUT_MS = 8_000;

/** `fetch` with a timeout per request (combined with the caller's own abort signal, if any). */
export function fetchWithTimeout(timeoutMs: number, base: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return base(input, { ...init, signal });
  };
}

/**
 * A service-role client, built with a secret key (or the legacy service role key on a project without one). No
 * session persistence or refresh: each invocation is stateless.
 */
export function createServiceClient(
  env: { supabaseUrl: string; serverKey: string },
  options: { requestTimeoutMs?: number } = {},
): Db {
  return createClient(env.supabaseUrl, env.serverKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: {
      headers: { "x-client-info": "scalper-functions" },
      fetch: fetchWithTimeout(options.requestTimeoutMs ?? DB_REQUEST_TIMEOUT_MS),
    },
  });
}

/** A PostgREST call failed; `operation` says which table and what. */
export class DbError extends Error {
  override name = "DbError";
  constructor(readonly operation: string, detail: string) {
    super(`${operation}: ${detail}`);
  }
}

/** Unwraps a supabase-js result: returns data or throws DbError naming the operation. */
export function must<T>(
  operation: string,
  result: { data: T | null; error: { message: string; code?: string; details?: string | null } | null },
): T {
  if (result.error) {
    const code = result.error.code ? ` (${result.error.code})` : "";
    // A non-PostgREST answer (a gateway's 502 JSON, say) reaches us as an "error" without a message: show what it has.
    const text = result.error.message || result.error.details || JSON.stringify(result.error);
    throw new DbError(operation, `${text}${code}`);
  }
  return result.data as T;
}

/** Reads the one `bot_settings` row (id = 1) and validates it (InvalidSettingsError names the bad column). */
export async function loadSettings(db: Db): Promise<Settings> {
  const row = must("select bot_settings", await db.from("bot_settings").select("*").eq("id", 1).maybeSingle());
  if (!row) throw new DbError("select bot_settings", "the settings row (id = 1) is missing; run the migrations");
  return parseSettings(row);
}
