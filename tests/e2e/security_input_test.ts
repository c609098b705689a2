/**
 * Hostile input (issue 7), as the service role, for every function folder.
 *
 * Bodies. The fault: a caller (a bug in a scheduler, a stolen key, a fuzzer) sends a body the function does not
 * expect: wrong types for each known field, huge numbers, negative or zero durations and counts, unknown keys,
 * prototype keys, deep nesting, non-JSON, JSON that is not an object, a 2 MB body (with and without content-length),
 * the wrong content type or the wrong method. What must hold: a 4xx answer (never 5xx, never 2xx), JSON with an
 * `error`, an issue or message naming the offending field for validation errors, and no write at all: every public
 * table (function_runs included: a refused request is not a run) is unchanged, row for row.
 *
 * Settings. The fault: the `bot_settings` row holds values the database's check constraints let through but the
 * functions' zod schema refuses (a duplicate symbol, NaN or Infinity in a numeric column, a band size too large for a
 * double). What must hold: every function refuses with an error naming the column; nothing is half-applied (no
 * orders, positions, trades, balances, latency rows or leases); a function_runs row, if written, is closed as an
 * error or skip. Values the database itself refuses (bands out of order, momentum_min_samples above the window, a
 * lower-case symbol) are checked to stay refused there.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../dev/sim/server.ts";
import {
  bodyCasesFor,
  callFunction,
  changedTables,
  describeCall,
  functionFolders,
  minimalValidBody,
  namesField,
  snapshotTables,
  withIndexTs,
} from "../support/hostile.ts";
import { simulatorEnv } from "../support/sim_env.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { stackTest } from "../support/stack.ts";

const sim = await startSimulator({ seed: 72 });
globalThis.addEventListener("unload", () => void sim.stop());

const functions = await withIndexTs(await functionFolders());

interface SettingsCase {
  label: string;
  /** SQL `set` clause for public.bot_settings. */
  assignment: string;
  /** The column (or path) the error must name. */
  field: string;
}

/** Rows the constraints accept (checked in the test) that the functions must refuse. */
const INVALID_SETTINGS: readonly SettingsCase[] = [
  {
    label: "a symbol listed twice",
    assignment: "symbols = array['BTC/USDT', 'ETH/USDT', 'BTC/USDT']",
    field: "symbols[2]",
  },
  {
    label: "NaN as min_order_balance_usdt",
    assignment: "min_order_balance_usdt = 'NaN'",
    field: "min_order_balance_usdt",
  },
  {
    label: "Infinity as paper_starting_usdt",
    assignment: "paper_starting_usdt = 'Infinity'",
    field: "paper_starting_usdt",
  },
  {
    label: "a band size of 1e400 (beyond a double)",
    assignment: "latency_bands = jsonb_set(latency_bands, '{0,size_usd}', '1e400'::jsonb)",
    field: "latency_bands[0].size_usd",
  },
];

/** Rows the constraints must keep refusing (the first line of defence for the functions' cross-field checks). */
const DB_REFUSED_SETTINGS: readonly Omit<SettingsCase, "field">[] = [
  {
    label: "bands not in ascending max_ms order",
    assignment: "latency_bands = jsonb_set(latency_bands, '{1,max_ms}', '10'::jsonb)",
  },
  { label: "momentum_min_samples above momentum_window", assignment: "momentum_min_samples = momentum_window + 1" },
  { label: "a lower-case symbol", assignment: "symbols = array['btc/usdt']" },
  { label: "a second settings row", assignment: "id = 2" },
];

/** Tables a refused settings row must leave alone (function_runs is judged separately). */
const TRADING_STATE = ["orders", "positions", "trade_logs", "balance_history", "latency_logs", "exchange_connections"];

/** Copies the settings row into a session temp table once, and puts it back after each case. */
async function settingsKeeper(sql: Sql): Promise<() => Promise<void>> {
  await sql`create temp table settings_backup as select * from public.bot_settings`;
  const columns = (await sql<{ name: string }[]>`
    select column_name as name from information_schema.columns
    where table_schema = 'public' and table_name = 'bot_settings' and column_name not in ('id', 'updated_at')
    order by ordinal_position`).map((c) => `"${c.name}" = b."${c.name}"`);
  return async () => {
    await sql.unsafe(`update public.bot_settings s set ${columns.join(", ")} from settings_backup b where s.id = b.id`);
  };
}

stackTest("hostile input: bad bodies and invalid settings are refused and write nothing", {
  functions,
  functionEnv: simulatorEnv(sim),
}, async (t, stack) => {
  await withSql(stack.databaseUrl, async (sql) => {
    for (const name of functions) {
      await t.step(`${name}: bad bodies`, async (t) => {
        for (const badCase of bodyCasesFor(name)) {
          await t.step(badCase.label, async () => {
            const before = await snapshotTables(sql);
            const answer = await callFunction(stack, name, {
              method: badCase.method,
              body: badCase.body,
              contentType: badCase.contentType,
            });
            const after = await snapshotTables(sql);
            const allowed = badCase.allowed ?? [];
            assert.ok(
              allowed.length > 0 ? allowed.includes(answer.status) : answer.status >= 400 && answer.status < 500,
              `expected ${allowed.length > 0 ? allowed.join(" or ") : "4xx"}: ${describeCall(answer)}`,
            );
            assert.match(answer.contentType ?? "", /application\/json/, "the answer is JSON");
            assert.equal(typeof answer.json?.error, "string", `an error message: ${describeCall(answer)}`);
            if (badCase.field) {
              assert.ok(namesField(answer.json, badCase.field), `names ${badCase.field}: ${describeCall(answer)}`);
            }
            assert.deepEqual(changedTables(before, after), [], "a refused body wrote to tables");
          });
        }
      });
    }

    const restoreSettings = await settingsKeeper(sql);
    await sql`update public.bot_settings set mode = 'paper', trading_enabled = true where id = 1`;
    await sql`update settings_backup set mode = 'paper', trading_enabled = true`;

    await t.step("settings the database refuses stay refused", async (t) => {
      for (const refused of DB_REFUSED_SETTINGS) {
        await t.step(refused.label, async () => {
          try {
            await assert.rejects(
              sql.unsafe(`update public.bot_settings set ${refused.assignment} where id = 1`),
              (error: { code?: string }) => error.code === "23514",
              "a check_violation",
            );
          } finally {
            await restoreSettings();
          }
        });
      }
    });

    for (const invalid of INVALID_SETTINGS) {
      await t.step(`settings with ${invalid.label}: every function refuses, naming ${invalid.field}`, async (t) => {
        await sql.unsafe(`update public.bot_settings set ${invalid.assignment} where id = 1`).catch((error) => {
          throw new Error(
            `the database now refuses this row (good): move "${invalid.label}" to DB_REFUSED_SETTINGS (${error})`,
          );
        });
        try {
          for (const name of functions) {
            await t.step(name, async () => {
              const before = await snapshotTables(sql);
              const runsBefore = before.function_runs?.rows ?? 0;
              const answer = await callFunction(stack, name, { body: JSON.stringify(minimalValidBody(name)) });
              const after = await snapshotTables(sql);
              assert.ok(answer.status >= 400, `refused: ${describeCall(answer)}`);
              assert.equal(typeof answer.json?.error, "string", `an error message: ${describeCall(answer)}`);
              assert.ok(answer.text.includes(invalid.field), `names ${invalid.field}: ${describeCall(answer)}`);
              const touched = changedTables(before, after).filter((t) => TRADING_STATE.includes(t.split(" ")[0]));
              assert.deepEqual(touched, [], "nothing half-applied");
              const runs = await sql<{ outcome: string; finished_at: Date | null; error: string | null }[]>`
                select outcome, finished_at, error from public.function_runs
                order by started_at desc limit ${Math.max(0, (after.function_runs?.rows ?? 0) - runsBefore)}`;
              for (const run of runs) {
                assert.ok(["error", "skipped"].includes(run.outcome), `run closed as error/skip, got ${run.outcome}`);
                assert.ok(run.finished_at, "run closed");
                assert.ok(run.error?.includes(invalid.field), `the run's error names ${invalid.field}: ${run.error}`);
              }
            });
          }
        } finally {
          await restoreSettings();
        }
      });
    }
  });
});
