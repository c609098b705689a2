/**
 * What a fired job does locally: an edge function is POSTed to `/functions/v1/<name>` through the gateway (as
 * pg_net does in production), the retention job calls `prune_old_rows` through `/rest/v1/rpc` (as pg_cron does in
 * SQL). Both with the server key, both with the job's timeout. As `invoke_edge_function` does: a secret key
 * (`sb_secret_…`) goes in the `apikey` header, a legacy service role key as `Authorization: Bearer`.
 */

import { z } from "zod";
import { jobAction, type ScheduledJob } from "./cadence.ts";
import { type CallResult, sendWithFallback } from "./fallback.ts";
import { type Invocation, type InvocationResult, invocationSchema } from "./invocation.ts";

export { type Invocation, type InvocationResult, invocationSchema };

/** Retention runs inside the database; this only bounds the HTTP round trip to it. */
export const RETENTION_TIMEOUT_MS = 30_000;

/** Calls one job; rejects on network failure, timeout or abort, resolves with any HTTP answer. */
export type JobInvoker = (job: ScheduledJob, signal: AbortSignal) => Promise<InvocationResult>;

export class InvocationTimeoutError extends Error {
  constructor(readonly jobName: string, readonly timeoutMs: number) {
    super(`job ${jobName}: no answer within ${timeoutMs} ms`);
    this.name = "InvocationTimeoutError";
  }
}

export interface GatewayInvokerOptions {
  /** The gateway or project URL, e.g. `http://127.0.0.1:54321` or `https://<ref>.supabase.co`. */
  baseUrl: string;
  /** A secret key (`sb_secret_…`), or the legacy service role JWT on a project without one. */
  serverKey: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface JobRequest {
  url: string;
  body: Record<string, unknown>;
  timeoutMs: number;
}

/** The HTTP request a job makes (exported so tests compare it with the pg_cron command). */
export function jobRequest(job: ScheduledJob, baseUrl: string): JobRequest {
  const origin = baseUrl.replace(/\/+$/, "");
  const action = jobAction(job);
  if (action.kind === "retention") {
    return { url: `${origin}/rest/v1/rpc/${action.rpc}`, body: {}, timeoutMs: RETENTION_TIMEOUT_MS };
  }
  return { url: `${origin}/functions/v1/${action.functionName}`, body: action.body, timeoutMs: action.timeoutMs };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page, say): keep the text so the caller can show it.
    return text;
  }
}

/** The headers that present `serverKey`: `apikey` for a secret key; the legacy JWT as bearer (and apikey, as Kong wants). */
export function serverKeyHeaders(serverKey: string): Record<string, string> {
  if (serverKey.startsWith("sb_")) return { apikey: serverKey };
  return { authorization: `Bearer ${serverKey}`, apikey: serverKey };
}

/** The request for one call; a region goes both ways supabase-js sends it (x-region and forceFunctionRegion). */
export function invocationRequest(call: Invocation, baseUrl: string): JobRequest & { headers: Record<string, string> } {
  const origin = baseUrl.replace(/\/+$/, "");
  const query = call.region === null ? "" : `?forceFunctionRegion=${encodeURIComponent(call.region)}`;
  return {
    url: `${origin}/functions/v1/${call.function_name}${query}`,
    body: call.body,
    timeoutMs: call.timeout_ms,
    headers: call.region === null ? {} : { "x-region": call.region },
  };
}

async function postWithTimeout(
  doFetch: typeof fetch,
  request: JobRequest & { headers?: Record<string, string> },
  serverKey: string,
  jobName: string,
  signal: AbortSignal,
): Promise<InvocationResult> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  const onAbort = () => controller.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) controller.abort();
  try {
    const response = await doFetch(request.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...serverKeyHeaders(serverKey), ...request.headers },
      body: JSON.stringify(request.body),
      signal: controller.signal,
    });
    return { status: response.status, body: await readBody(response) };
  } catch (error) {
    if (timedOut) throw new InvocationTimeoutError(jobName, request.timeoutMs);
    throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/** Asks the database which calls a fanned-out job makes now (the same function pg_cron's job runs). */
export async function loadInvocations(
  doFetch: typeof fetch,
  baseUrl: string,
  serverKey: string,
  job: ScheduledJob,
  signal: AbortSignal,
): Promise<Invocation[]> {
  const origin = baseUrl.replace(/\/+$/, "");
  const answer = await postWithTimeout(
    doFetch,
    {
      url: `${origin}/rest/v1/rpc/function_schedule_invocations`,
      body: { p_name: job.name },
      timeoutMs: RETENTION_TIMEOUT_MS,
    },
    serverKey,
    job.name,
    signal,
  );
  if (answer.status !== 200) {
    throw new Error(
      `job ${job.name}: function_schedule_invocations answered ${answer.status}: ${JSON.stringify(answer.body)}`,
    );
  }
  return z.array(invocationSchema).parse(answer.body);
}

/** report_unanswered_call through /rest/v1/rpc: the region went unanswered (see fallback.ts). */
async function reportUnanswered(
  doFetch: typeof fetch,
  options: GatewayInvokerOptions,
  functionName: string,
  region: string,
  detail: string,
  signal: AbortSignal,
): Promise<void> {
  const answer = await postWithTimeout(
    doFetch,
    {
      url: `${options.baseUrl.replace(/\/+$/, "")}/rest/v1/rpc/report_unanswered_call`,
      body: { p_function: functionName, p_region: region, p_detail: detail },
      timeoutMs: RETENTION_TIMEOUT_MS,
    },
    options.serverKey,
    functionName,
    signal,
  );
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`report_unanswered_call (${region}) answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
}

export function gatewayInvoker(options: GatewayInvokerOptions): JobInvoker {
  const doFetch = options.fetch ?? fetch;
  return async (job, signal) => {
    if (job.kind === "edge_function" && job.fanOut !== "none") {
      const calls = await loadInvocations(doFetch, options.baseUrl, options.serverKey, job, signal);
      const send = async (call: Invocation): Promise<CallResult> => {
        const venues = call.body.venues ?? null;
        try {
          const result = await postWithTimeout(
            doFetch,
            invocationRequest(call, options.baseUrl),
            options.serverKey,
            job.name,
            signal,
          );
          return { region: call.region, venues, ...result };
        } catch (error) {
          return { region: call.region, venues, status: 0, body: String(error) };
        }
      };
      // In parallel, as pg_net sends them; one call failing does not stop the others. An unanswered regional call
      // marks its region and a burst goes on in the venue's next region (fallback.ts).
      const chains = await Promise.all(calls.map((call) =>
        sendWithFallback(call, job.fanOut, {
          send,
          report: (fn, region, detail) => reportUnanswered(doFetch, options, fn, region, detail, signal),
          invocations: () => loadInvocations(doFetch, options.baseUrl, options.serverKey, job, signal),
          monotonicMs: () => performance.now(),
        })
      ));
      // A call's outcome is its last attempt; the unanswered attempts before it stay in the body, marked fell_back_to.
      const failed = chains.map((attempts) => attempts.at(-1)!).find((r) => r.status < 200 || r.status >= 300);
      return { status: failed ? (failed.status || 502) : 200, body: chains.flat() };
    }
    return postWithTimeout(doFetch, jobRequest(job, options.baseUrl), options.serverKey, job.name, signal);
  };
}
