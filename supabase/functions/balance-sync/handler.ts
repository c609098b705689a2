/**
 * `balance-sync`: for each active exchange connection (optionally only the venues named in the body), read its
 * balances and write its row; snapshot into balance_history at most once per `balance_snapshot_minutes`.
 * Mode comes from bot_settings: `paper` reads the paper ledger (no keys), `testnet`/`live` read the exchange.
 */
import { z } from "zod";
import { type Db, loadSettings, must, selectAllPages } from "../_shared/db.ts";
import { NeedsHumanError } from "../_shared/exchange/errors.ts";
import { acceptServerCall } from "../_shared/accept_call.ts";
import type { VenueFunctionDeps } from "../_shared/deps.ts";
import type { Balances } from "../_shared/exchange/venue_client.ts";
import { json, jsonHandler } from "../_shared/http.ts";
import { answerRunFailure, type RunOutcome, startRun } from "../_shared/run_log.ts";
import type { Settings } from "../_shared/settings.ts";
import { PAPER_ORDER_COLUMNS, paperBalances } from "../_shared/paper/paper_ledger.ts";
import { type BalanceSource, syncVenueBalance, type VenueBalanceResult } from "./sync.ts";
import { credentialVarNames, type Venue, VENUES } from "../_shared/exchange/venues.ts";

export const FUNCTION_NAME = "balance-sync";

export const balanceSyncBodySchema = z.object({
  venues: z.array(z.enum(VENUES)).min(1).max(VENUES.length).optional(),
}).strict();
export type BalanceSyncBody = z.infer<typeof balanceSyncBodySchema>;

export interface BalanceSyncSummary {
  mode: Settings["mode"];
  venues: VenueBalanceResult[];
  /** Requested venues that were not synced, and why. */
  skipped: { venue: Venue; reason: string }[];
}

/** Venues to sync: active rows, narrowed to the requested ones. */
async function activeVenues(db: Db, requested?: readonly Venue[]): Promise<{ sync: Venue[]; skipped: Venue[] }> {
  const rows = must(
    "select exchange_connections",
    await db.from("exchange_connections").select("exchange_name").eq("is_active", true),
  ) as { exchange_name: string }[];
  const active = rows.map((r) => r.exchange_name).filter((name): name is Venue => VENUES.includes(name as Venue));
  const wanted = requested ?? VENUES;
  return {
    sync: VENUES.filter((v) => wanted.includes(v) && active.includes(v)),
    skipped: VENUES.filter((v) => wanted.includes(v) && !active.includes(v)),
  };
}

function balanceReader(deps: VenueFunctionDeps, venue: Venue, settings: Settings): {
  source: BalanceSource;
  read: () => Promise<Balances>;
} {
  if (settings.mode === "paper") {
    return {
      source: "paper",
      read: async () => {
        // Fills move the ledger; resting orders lock funds. Everything else (rejected, unfilled cancels) is noise.
        // Paged: a row cap (max_rows) must not cut fills out of the ledger (issue 14).
        const rows = await selectAllPages<unknown>(
          `select paper orders (${venue})`,
          (from, to) =>
            deps.db.from("orders").select(PAPER_ORDER_COLUMNS).eq("venue", venue).eq("mode", "paper")
              .or("filled.gt.0,order_status.in.(open,partially_filled)").order("created_at", { ascending: true })
              .order("id", { ascending: true }).range(from, to),
        );
        return paperBalances(settings.paper_starting_usdt, rows);
      },
    };
  }
  const { client, facts } = deps.venues(venue, settings.mode);
  return {
    source: "exchange",
    read: async () => {
      if (!facts.hasCredentials) {
        const names = credentialVarNames(venue).join(", ");
        throw new NeedsHumanError(`no API keys for ${venue}: set ${names} to read ${settings.mode} balances`, {
          venue,
        });
      }
      // ccxt's fetchBalance loads every market of the venue first (thousands on Binance: most of the function's
      // memory and CPU) unless some are loaded: the configured symbols' rules are enough to parse a balance.
      await client.loadMarkets(settings.symbols);
      return await client.fetchBalances();
    },
  };
}

function outcomeOf(results: readonly VenueBalanceResult[]): RunOutcome {
  if (results.length === 0) return "skipped";
  const good = results.filter((r) => r.status === "ok").length;
  return good === results.length ? "ok" : good === 0 ? "error" : "partial";
}

/** The HTTP handler. `getDeps` is called per request so a bad env is answered (500, naming the variable). */
export function createBalanceSyncHandler(getDeps: () => VenueFunctionDeps): (req: Request) => Promise<Response> {
  return jsonHandler(async (req) => {
    const { deps, body } = await acceptServerCall(req, getDeps, balanceSyncBodySchema);

    const run = await startRun(deps.db, FUNCTION_NAME, { clock: deps.clock });
    try {
      const settings = await loadSettings(deps.db);
      const { sync, skipped } = await activeVenues(deps.db, body.venues);
      const venues = await Promise.all(sync.map((venue) => {
        const { source, read } = balanceReader(deps, venue, settings);
        return syncVenueBalance({
          db: deps.db,
          clock: deps.clock,
          venue,
          source,
          read,
          snapshotMinutes: settings.balance_snapshot_minutes,
        });
      }));
      const summary: BalanceSyncSummary = {
        mode: settings.mode,
        venues,
        skipped: skipped.map((venue) => ({ venue, reason: "not an active exchange connection" })),
      };
      const outcome = outcomeOf(venues);
      const failures = venues.filter((v) => v.error).map((v) => `${v.venue}: ${v.error}`);
      const { durationMs } = await run.finish(outcome, summary, failures.length ? failures.join("; ") : null);
      return json(outcome === "error" ? 502 : 200, {
        function: FUNCTION_NAME,
        run_id: run.id,
        outcome,
        ...summary,
        duration_ms: durationMs,
      });
    } catch (error) {
      return await answerRunFailure(run, FUNCTION_NAME, error);
    }
  });
}
