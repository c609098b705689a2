/**
 * The local scheduler's half of the region fallback (migration 20261202400000_region_fallback; pg_cron's half is
 * `check_regional_calls`). A regional call the region never took (the gateway's 502/503/504, or no HTTP answer at all)
 * is reported, which marks the region unanswering; an unanswered trade-burst call is then sent again at once to where
 * the database now says the venue's bursts go (`function_schedule_invocations` skips unanswering regions), for what is
 * left of the burst. So the firing that meets a dead region still runs the burst, one region further down.
 */
import type { FanOut } from "./cadence.ts";
import type { Invocation, InvocationResult } from "./invocation.ts";

/** Below this a re-sent burst is not worth a call (as `min_resend_duration_ms()` in SQL). */
export const MIN_RESEND_MS = 5_000;
/** Bound on re-sends of one call (each marks a region, so the candidates run out well before). */
export const MAX_ATTEMPTS = 16;

/** Status 0 stands for "no HTTP answer" (transport error, timeout). */
export function isUnanswered(status: number): boolean {
  return status === 0 || status === 502 || status === 503 || status === 504;
}

export interface CallResult extends InvocationResult {
  region: string | null;
  venues: unknown;
  /** Set on an unanswered attempt that was re-sent: the region it went to next (null: no region). */
  fell_back_to?: string | null;
  /** Set when the region could not be marked unanswering (then nothing was re-sent). */
  report_error?: string;
}

export interface FallbackDeps {
  /** Sends one call; resolves with status 0 on a transport failure or timeout (never rejects). */
  send(call: Invocation): Promise<CallResult>;
  /** report_unanswered_call. */
  report(functionName: string, region: string, detail: string): Promise<void>;
  /** function_schedule_invocations for the job, asked again after the report. */
  invocations(): Promise<Invocation[]>;
  /** Monotonic ms, for what is left of the burst. */
  monotonicMs(): number;
}

const sameVenues = (a: Invocation, b: Invocation) => JSON.stringify(a.body.venues) === JSON.stringify(b.body.venues);

function detailOf(result: CallResult): string {
  const text = typeof result.body === "string" ? result.body : JSON.stringify(result.body);
  return `${result.status === 0 ? "no answer" : `HTTP ${result.status}`}: ${text}`.slice(0, 500);
}

/**
 * Sends `call` and, while it goes unanswered and the job pins venues to home regions, re-sends it. Returns every
 * attempt in order; the last is the call's outcome.
 */
export async function sendWithFallback(
  call: Invocation,
  fanOut: FanOut,
  deps: FallbackDeps,
): Promise<CallResult[]> {
  const startedMs = deps.monotonicMs();
  const attempts: CallResult[] = [];
  let current = call;
  for (let attempt = 1;; attempt++) {
    const result = await deps.send(current);
    attempts.push(result);
    if (current.region === null || !isUnanswered(result.status)) return attempts;
    try {
      await deps.report(current.function_name, current.region, detailOf(result));
    } catch (error) {
      // Unmarked, the database would name the same region again: stop here and say why.
      result.report_error = error instanceof Error ? error.message : String(error);
      return attempts;
    }
    if (fanOut !== "venue_home_region" || attempt >= MAX_ATTEMPTS) return attempts;

    const duration = call.body.duration_ms;
    const remaining = typeof duration === "number" ? Math.floor(duration - (deps.monotonicMs() - startedMs)) : null;
    if (remaining !== null && remaining < MIN_RESEND_MS) return attempts;
    const failedRegion = current.region;
    const next = (await deps.invocations()).find((c) => sameVenues(c, call) && c.region !== failedRegion);
    if (!next) return attempts;
    result.fell_back_to = next.region;
    current = remaining === null ? next : { ...next, body: { ...next.body, duration_ms: remaining } };
  }
}
