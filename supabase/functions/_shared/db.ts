/**
 * Table access for the functions: a PostgREST client with the service role (bypasses RLS), and the settings row read
 * and validated. postgrest-js, not supabase-js: the functions only use tables and RPCs, and supabase-js would add
 * auth, storage, realtime and functions clients to every deployed bundle.
 */
import { PostgrestClient } from "@supabase/postgrest-js";
import type { Database } from "./database.types.ts";
import { parseSettings, type Settings } from "./settings.ts";

/**
 * What the functions call on a client, typed with the generated schema (database.types.ts) so a column typo fails
 * `deno check`; a supabase-js client typed the same way (tests, dev tools) has the same two methods.
 */
export type Db = Pick<PostgrestClient<Database>, "from" | "rpc">;

/**
 * Upper bound of one PostgREST request. supabase-js sets none, so a database that stops answering (a hung proxy, a
 * blackholed host) would hold a burst, and its venue lease, until the Edge runtime kills it. Our queries are small
 * single-row reads and writes; one that takes this long is a dead connection, and fails as a DbError.
 */
export const DB_REQUEST_TIMEOUT_MS = 8_000;

/**
 * `fetch` with a timeout per request (combined with the caller's own abort signal, if any), the body included: the
 * answer is read whole inside the timeout (ours are small), and the timer is cleared when the request is over. A
 * timer left pending (AbortSignal.timeout's is never cleared) would fire seconds later, once per request, and wake
 * the burst's process for nothing.
 */
export function fetchWithTimeout(timeoutMs: number, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException(`request timed out after ${timeoutMs} ms`, "TimeoutError")),
      timeoutMs,
    );
    const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    try {
      const response = await base(input, { ...init, signal });
      const body = await response.arrayBuffer();
      return new Response(body.byteLength > 0 ? body : null, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * A service-role client for `<supabaseUrl>/rest/v1`, built with a secret key (or the legacy service role key on a
 * project without one) and sending it the way supabase-js does (`apikey` and a bearer token). Stateless: there is no
 * session to keep or refresh.
 */
export function createServiceClient(
  env: { supabaseUrl: string; serverKey: string },
  options: { requestTimeoutMs?: number } = {},
): Db {
  const base = env.supabaseUrl.endsWith("/") ? env.supabaseUrl : `${env.supabaseUrl}/`;
  return new PostgrestClient<Database>(new URL("rest/v1", base).href, {
    headers: {
      apikey: env.serverKey,
      authorization: `Bearer ${env.serverKey}`,
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

/** A PostgREST error as supabase-js reports it. */
export interface PostgrestErrorLike {
  message: string;
  code?: string;
  details?: string | null;
}

/** The `data` of the success member of a supabase-js result union. */
export type SuccessData<R> = R extends { error: null; data: infer D } ? D : never;

/**
 * Unwraps a supabase-js result: returns data or throws DbError naming the operation. The result is supabase-js's own
 * success-or-failure union, so `data` keeps the generated row type (null only where the query allows it, e.g.
 * maybeSingle).
 */
export function must<R extends { data: unknown; error: PostgrestErrorLike | null }>(
  operation: string,
  result: R,
): SuccessData<R> {
  if (result.error) {
    const code = result.error.code ? ` (${result.error.code})` : "";
    // A non-PostgREST answer (a gateway's 502 JSON, say) reaches us as an "error" without a message: show what it has.
    const text = result.error.message || result.error.details || JSON.stringify(result.error);
    throw new DbError(operation, `${text}${code}`);
  }
  return result.data as SuccessData<R>;
}

/** Reads the one `bot_settings` row (id = 1) and validates it (InvalidSettingsError names the bad column). */
export async function loadSettings(db: Db): Promise<Settings> {
  const row = must("select bot_settings", await db.from("bot_settings").select("*").eq("id", 1).maybeSingle());
  if (!row) throw new DbError("select bot_settings", "the settings row (id = 1) is missing; run the migrations");
  return parseSettings(row);
}

/**
 * Rows per page for reads that need every row. Hosted projects cap an answer at `max_rows` (1000 by default) and cut
 * the rest silently; the local stack runs with the same cap. A project that lowers max_rows must lower this too.
 */
export const PAGE_ROWS = 1000;
/** A bound on pages (10 M rows): a read never loops forever on a misbehaving server. */
const MAX_PAGES = 10_000;

/**
 * Reads every page of a query, so no row cap cuts the answer. `page` builds the query for one range; it must be
 * ordered on a unique key, or rows could move between pages.
 */
export async function selectAllPages<T>(
  operation: string,
  page: (from: number, to: number) => PromiseLike<{ data: T[] | null; error: PostgrestErrorLike | null }>,
  pageRows = PAGE_ROWS,
  maxRows = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < MAX_PAGES && out.length < maxRows; i++) {
    const from = out.length;
    const to = Math.min(from + pageRows, maxRows) - 1;
    const result = await page(from, to);
    if (result.error) must(`${operation} (rows ${from}+)`, result);
    const rows: T[] = result.data ?? [];
    out.push(...rows);
    if (rows.length < to - from + 1) return out;
  }
  if (out.length >= maxRows) return out;
  throw new DbError(operation, `more than ${MAX_PAGES * pageRows} rows`);
}
