/**
 * One `function_runs` row per invocation: inserted as `running` at the start, closed with outcome, summary, error
 * and duration at the end. (trade-burst uses the SQL lease functions instead; this is for the all-venue functions.)
 */
import type { Clock } from "./clock.ts";
import { type Db, must } from "./db.ts";
import { describeError } from "./describe_error.ts";
import { json } from "./http.ts";
import { toJson } from "./json.ts";

export type RunOutcome = "ok" | "partial" | "error" | "skipped";

export interface RunLog {
  readonly id: string | number;
  finish(outcome: RunOutcome, summary: unknown, error?: string | null): Promise<{ durationMs: number }>;
}

export async function startRun(
  db: Db,
  functionName: string,
  options: { clock: Clock; venue?: string | null },
): Promise<RunLog> {
  const startedAt = options.clock.now();
  const startedMono = options.clock.monotonicMs();
  const row = must(
    `insert function_runs (${functionName})`,
    await db.from("function_runs").insert({
      function_name: functionName,
      venue: options.venue ?? null,
      started_at: startedAt.toISOString(),
      outcome: "running",
    }).select("id").single(),
  );

  return {
    id: row.id,
    async finish(outcome, summary, error = null) {
      const durationMs = Math.max(0, Math.round(options.clock.monotonicMs() - startedMono));
      must(
        `update function_runs ${row.id}`,
        await db.from("function_runs").update({
          outcome,
          summary: toJson(summary),
          error,
          finished_at: options.clock.now().toISOString(),
          duration_ms: durationMs,
        }).eq("id", row.id),
      );
      return { durationMs };
    },
  };
}

/** Closes the run as an error and answers 500 with the run id and the error line: an all-venue function's last resort. */
export async function answerRunFailure(run: RunLog, functionName: string, error: unknown): Promise<Response> {
  const text = describeError(error);
  const { durationMs } = await run.finish("error", {}, text);
  return json(500, { function: functionName, run_id: run.id, outcome: "error", error: text, duration_ms: durationMs });
}
