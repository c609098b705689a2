/**
 * The cadence, read from where production reads it: `public.function_schedules` (the pg_cron jobs are generated from
 * the same rows by `sync_function_schedules()`). Works through supabase-js with the service role key or a signed-in
 * user's key, so the local scheduler can never run on a different cadence than the migration installs.
 */

import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import { type CronSchedule, parseCron } from "./cron.ts";

export const SCHEDULE_KINDS = ["edge_function", "retention"] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** The SQL function the retention job runs (through PostgREST's /rest/v1/rpc locally, by pg_cron in production). */
export const RETENTION_RPC = "prune_old_rows";

export const CADENCE_COLUMNS = "name, kind, cron, body, timeout_ms, enabled, fan_out";

/** How one row becomes calls (issue 18): one call, or per venue and region, computed by the database at run time. */
export const FAN_OUTS = ["none", "venue_candidate_regions", "venue_home_region"] as const;
export type FanOut = (typeof FAN_OUTS)[number];

const cronText = z.string().superRefine((text, ctx) => {
  try {
    parseCron(text);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
  }
});

export const scheduleRowSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "must be a lowercase job name like trade-burst"),
  kind: z.enum(SCHEDULE_KINDS),
  cron: cronText,
  body: z.record(z.string(), z.unknown()),
  timeout_ms: z.number().int().min(1_000).max(400_000).nullable(),
  enabled: z.boolean(),
  // Rows from before issue 18 (and test fixtures) have no fan_out: one call, as then.
  fan_out: z.enum(FAN_OUTS).default("none"),
}).strict();
export type ScheduleRow = z.infer<typeof scheduleRowSchema>;

export interface ScheduledJob {
  name: string;
  kind: ScheduleKind;
  cron: string;
  schedule: CronSchedule;
  body: Record<string, unknown>;
  /** HTTP timeout for an edge function call; null for work inside the database. */
  timeoutMs: number | null;
  enabled: boolean;
  fanOut: FanOut;
}

export class CadenceError extends Error {
  constructor(message: string, readonly issues: readonly string[] = []) {
    super(issues.length > 0 ? `${message}: ${issues.join("; ")}` : message);
    this.name = "CadenceError";
  }
}

/** Validates rows (as PostgREST returns them) into jobs; every bad field is named in the error. */
export function cadenceFromRows(rows: unknown): ScheduledJob[] {
  const parsed = z.array(scheduleRowSchema).safeParse(rows);
  if (!parsed.success) {
    throw new CadenceError(
      "function_schedules rows are invalid",
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(rows)"}: ${issue.message}`),
    );
  }
  return parsed.data.map((row) => ({
    name: row.name,
    kind: row.kind,
    cron: row.cron,
    schedule: parseCron(row.cron),
    body: row.body,
    timeoutMs: row.timeout_ms,
    enabled: row.enabled,
    fanOut: row.fan_out,
  }));
}

/** Every row of public.function_schedules (enabled or not), ordered by name. */
export async function loadCadence(client: SupabaseClient): Promise<ScheduledJob[]> {
  const { data, error } = await client.from("function_schedules").select(CADENCE_COLUMNS).order("name");
  if (error) throw new CadenceError(`cannot read function_schedules (${error.code ?? "no code"}): ${error.message}`);
  return cadenceFromRows(data);
}

/** What a job does when it fires, in the same terms for pg_cron and the local scheduler. */
export type JobAction =
  | { kind: "edge_function"; functionName: string; body: Record<string, unknown>; timeoutMs: number }
  | { kind: "retention"; rpc: typeof RETENTION_RPC };

export function jobAction(job: ScheduledJob): JobAction {
  if (job.kind === "retention") return { kind: "retention", rpc: RETENTION_RPC };
  if (job.timeoutMs === null) throw new CadenceError(`job ${job.name}: an edge function needs timeout_ms`);
  return { kind: "edge_function", functionName: job.name, body: job.body, timeoutMs: job.timeoutMs };
}
