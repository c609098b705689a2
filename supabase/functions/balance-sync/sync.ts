/**
 * One venue's balance sync: read the balances (exchange or paper ledger), then write that venue's row and only that
 * row (the legacy bug was a PATCH without a filter). On failure the last good figures stay, the status says `stale`
 * (temporary trouble) or `error` (refused / needs a human), and `last_balance_update` does not move, so a dashboard
 * can tell fresh from stale.
 */
import type { Clock } from "../_shared/clock.ts";
import { type Db, must } from "../_shared/db.ts";
import type { TablesUpdate } from "../_shared/database.types.ts";
import { describeError } from "../_shared/describe_error.ts";
import { isRetryableExchangeError } from "../_shared/exchange/errors.ts";
import type { Balances } from "../_shared/exchange/venue_client.ts";
import type { Venue } from "../_shared/exchange/venues.ts";

export type BalanceSource = "exchange" | "paper";

export interface VenueBalanceResult {
  venue: Venue;
  status: "ok" | "stale" | "error";
  source: BalanceSource;
  /** Total USDT (the legacy `balance_usdt`), free and used; null when the sync failed. */
  balance_usdt: number | null;
  balance_usdt_free: number | null;
  balance_usdt_used: number | null;
  /** Non-zero assets written to `balances`. */
  assets: string[];
  snapshot_written: boolean;
  error?: string;
}

/** Every non-zero asset (any of free/used/total), in a stable order. */
export function nonZeroAssets(balances: Balances): Balances {
  return Object.fromEntries(
    Object.entries(balances)
      .filter(([, b]) => b.total !== 0 || b.free !== 0 || b.used !== 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** `stale` when the failure may pass by itself (network, 5xx, 429), `error` when someone must look. */
export function failureStatus(error: unknown): "stale" | "error" {
  return isRetryableExchangeError(error) ? "stale" : "error";
}

async function updateOneRow(
  db: Db,
  venue: Venue,
  values: TablesUpdate<"exchange_connections">,
  what: string,
): Promise<void> {
  const rows = must(
    `update exchange_connections (${venue}, ${what})`,
    await db.from("exchange_connections").update(values).eq("exchange_name", venue).select("exchange_name"),
  );
  if (rows.length !== 1) {
    throw new Error(`update exchange_connections (${venue}, ${what}): expected 1 row, updated ${rows.length}`);
  }
}

/** Inserts a `balance_history` row unless this venue has one younger than `intervalMinutes`. */
async function maybeSnapshot(
  db: Db,
  venue: Venue,
  values: { balance_usdt: number; balance_usdt_free: number; balances: Balances; source: BalanceSource },
  now: Date,
  intervalMinutes: number,
): Promise<boolean> {
  const latest = must(
    `select balance_history (${venue})`,
    await db.from("balance_history").select("ts").eq("exchange_name", venue).order("ts", { ascending: false })
      .limit(1),
  );
  const lastTs = latest[0]?.ts;
  const lastMs = lastTs === undefined ? null : Date.parse(lastTs);
  if (lastMs !== null && now.getTime() - lastMs < intervalMinutes * 60_000) return false;
  must(
    `insert balance_history (${venue})`,
    await db.from("balance_history").insert({
      exchange_name: venue,
      ...values,
      ts: now.toISOString(),
    }),
  );
  return true;
}

export interface SyncVenueOptions {
  db: Db;
  clock: Clock;
  venue: Venue;
  source: BalanceSource;
  /** Reads the balances: the venue client's fetchBalances, or the paper ledger. */
  read: () => Promise<Balances>;
  snapshotMinutes: number;
}

export async function syncVenueBalance(options: SyncVenueOptions): Promise<VenueBalanceResult> {
  const { db, clock, venue, source } = options;
  const attemptAt = clock.now();
  let balances: Balances;
  try {
    balances = await options.read();
  } catch (error) {
    const status = failureStatus(error);
    const text = describeError(error);
    // Keep balance_usdt, balances and last_balance_update: only the status, the reason and the attempt time move.
    await updateOneRow(db, venue, {
      balance_status: status,
      last_error: text,
      last_balance_attempt: attemptAt.toISOString(),
    }, "failure");
    return {
      venue,
      status,
      source,
      balance_usdt: null,
      balance_usdt_free: null,
      balance_usdt_used: null,
      assets: [],
      snapshot_written: false,
      error: text,
    };
  }

  const usdt = balances.USDT ?? { free: 0, used: 0, total: 0 };
  const kept = nonZeroAssets(balances);
  const now = clock.now();
  await updateOneRow(db, venue, {
    balance_usdt: usdt.total,
    balance_usdt_free: usdt.free,
    balance_usdt_used: usdt.used,
    balances: kept,
    balance_status: "ok",
    balance_source: source,
    last_balance_update: now.toISOString(),
    last_balance_attempt: attemptAt.toISOString(),
    last_error: null,
  }, "balances");
  const snapshot_written = await maybeSnapshot(
    db,
    venue,
    {
      balance_usdt: usdt.total,
      balance_usdt_free: usdt.free,
      balances: kept,
      source,
    },
    now,
    options.snapshotMinutes,
  );
  return {
    venue,
    status: "ok",
    source,
    balance_usdt: usdt.total,
    balance_usdt_free: usdt.free,
    balance_usdt_used: usdt.used,
    assets: Object.keys(kept),
    snapshot_written,
  };
}
