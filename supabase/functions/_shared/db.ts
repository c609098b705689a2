/**
 * Table access for the functions: a PostgREST client with the service role (bypasses RLS), and the settings row read
 * and validated. postgrest-js, not supabase-js: the functions only use tables and RPCs, and supabase-js would add
 * auth, storage, realtime and functions clients to every deployed bundle.
 */
import { PostgrestClient } from "@supabase/postgrest-js";
import { parseSettings, type Settings } from "./settings.ts";

/** What the functions call on a client; a supabase-js client (tests, dev tools) has the same two methods. */
export type Db = Pick<PostgrestClient, "from" | "rpc">;

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
 * A service-role client for `<supabaseUrl>/rest/v1`, sending the key the way supabase-js does (`apikey` and a bearer
 * token). Stateless: there is no session to keep or refresh.
 */
export function createServiceClient(
  env: { supabaseUrl: string; serviceRoleKey: string },
  options: { requestTimeoutMs?: number } = {},
): Db {
  const base = env.supabaseUrl.endsWith("/") ? env.supabaseUrl : `${env.supabaseUrl}/`;
  return new PostgrestClient(new URL("rest/v1", base).href, {
    headers: {
      apikey: env.serviceRoleKey,
      authorization: `Bearer ${env.serviceRoleKey}`,
      "x-client-info": "scalper-functions",
    },
    fetch: fetchWithTimeout(options.requestTimeoutMs ?? DB_REQUEST_TIMEOUT_MS),
  });
}

/** A PostgREST call failed; `operation` says which table and what. */
export class DbError extends Error {
  override name = "DbError";
  constructor(readonly operation: string, detail: string) {
    super(`${operation}: ${detail}`);
  }
}

/** Unwraps a postgrest-js (or supabase-js) result: returns data or throws DbError naming the operation. */
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
