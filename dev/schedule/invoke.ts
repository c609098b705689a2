/**
 * What a fired job does locally: an edge function is POSTed to `/functions/v1/<name>` through the gateway (as
 * pg_net does in production), the retention job calls `prune_old_rows` through `/rest/v1/rpc` (as pg_cron does in
 * SQL). Both with the server key, both with the job's timeout. As `invoke_edge_function` does: a secret key
 * (`sb_secret_…`) goes in the `apikey` header, a legacy service role key as `Authorization: Bearer`.
 */

import { jobAction, type ScheduledJob } from "./cadence.ts";

/** Retention runs inside the database; this only bounds the HTTP round trip to it. */
export const RETENTION_TIMEOUT_MS = 30_000;

export interface InvocationResult {
  status: number;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: unknown;
}

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

export function gatewayInvoker(options: GatewayInvokerOptions): JobInvoker {
  const doFetch = options.fetch ?? fetch;
  return async (job, signal) => {
    const request = jobRequest(job, options.baseUrl);
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
        headers: { "content-type": "application/json", ...serverKeyHeaders(options.serverKey) },
        body: JSON.stringify(request.body),
        signal: controller.signal,
      });
      return { status: response.status, body: await readBody(response) };
    } catch (error) {
      if (timedOut) throw new InvocationTimeoutError(job.name, request.timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  };
}
