/**
 * Puts the tables in the state the demo promises, through supabase-js with the service role (as any operator
 * would): paper mode, quotes polled, and, on the embedded database only, no run left "running" by a previous demo that was stopped
 * mid-burst (its lease would otherwise keep the venues closed for up to two minutes).
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";

export class PrepareError extends Error {
  constructor(step: string, detail: string) {
    super(`cannot ${step}: ${detail}`);
    this.name = "PrepareError";
  }
}

const settingsRowSchema = z.object({
  mode: z.enum(["paper", "testnet", "live"]),
  trading_enabled: z.boolean(),
  market_data: z.enum(["stream", "poll"]),
});

export interface PrepareOptions {
  /**
   * True only when this process alone serves the database (the embedded one, behind its data-folder lock): then
   * every `running` row is left over from a process that no longer exists.
   */
  exclusiveDatabase: boolean;
  now: Date;
}

/** Returns what it did or noticed, one sentence each, for the screen. */
export async function prepareForPaperRun(client: SupabaseClient, options: PrepareOptions): Promise<string[]> {
  const notes: string[] = [];
  const read = await client.from("bot_settings").select("mode, trading_enabled, market_data").eq("id", 1).maybeSingle();
  if (read.error) throw new PrepareError("read bot_settings", read.error.message);
  const parsed = settingsRowSchema.safeParse(read.data);
  if (!parsed.success) {
    throw new PrepareError("read bot_settings", `row id 1 is missing or malformed (${parsed.error.issues[0].message})`);
  }
  if (parsed.data.mode !== "paper") {
    const update = await client.from("bot_settings").update({ mode: "paper" }).eq("id", 1);
    if (update.error) throw new PrepareError("set bot_settings.mode = paper", update.error.message);
    notes.push(`bot_settings.mode was ${parsed.data.mode}; set to paper`);
  }
  // The demo's scripted prices move one point per quote request (the simulator's "read" paths), which only polling
  // makes; streams would see the first point only.
  if (parsed.data.market_data !== "poll") {
    const update = await client.from("bot_settings").update({ market_data: "poll" }).eq("id", 1);
    if (update.error) throw new PrepareError("set bot_settings.market_data = poll", update.error.message);
    notes.push(`bot_settings.market_data was ${parsed.data.market_data}; set to poll (scripted demo prices)`);
  }
  if (!parsed.data.trading_enabled) {
    notes.push("bot_settings.trading_enabled is false (Stop): no new entries until it is set to true");
  }
  if (options.exclusiveDatabase) {
    const stale = await client.from("function_runs")
      .update({
        outcome: "abandoned",
        finished_at: options.now.toISOString(),
        error: "the previous demo stopped while this run was in flight",
      })
      .eq("outcome", "running")
      .lte("started_at", options.now.toISOString())
      .select("id");
    if (stale.error) throw new PrepareError("release leftover runs", stale.error.message);
    if (stale.data.length > 0) {
      notes.push(`marked ${stale.data.length} run(s) left running by a previous demo as abandoned`);
    }
  }
  return notes;
}
