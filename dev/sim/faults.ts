// Fault injection: which requests misbehave, how, and for how long. The server consults it for every venue request.

import { z } from "zod";
import type { VenueId } from "./types.ts";
import type { Random } from "./prng.ts";

/** The longest a hang may last, so a forgotten fault cannot wedge a test run. */
export const MAX_HANG_MS = 120_000;

export const FAULT_KINDS = [
  "latency", // delay, then answer normally
  "rate_limit", // 429 with Retry-After (418 with status: 418)
  "ban", // 418 with Retry-After
  "server_error", // 5xx (status 500, 502, 503 or 504)
  "hang", // no answer for hangMs, then the connection is dropped
  "malformed", // 200 with a body that is not JSON
  "unknown_after_place", // the request IS executed, then the venue's "execution status unknown" answer
] as const;

export type FaultKind = typeof FAULT_KINDS[number];

export const faultSpecSchema = z.strictObject({
  venue: z.enum(["binance", "okx"]),
  kind: z.enum(FAULT_KINDS),
  /** exact path as the venue sees it (`/api/v3/order`), or a prefix ending in `*`; absent = every endpoint */
  path: z.string().startsWith("/").optional(),
  /** HTTP method to match; absent = any */
  method: z.string().transform((m) => m.toUpperCase()).optional(),
  /** latency: fixed delay plus a seeded uniform jitter in [0, jitterMs) */
  latencyMs: z.number().int().min(0).max(MAX_HANG_MS).optional(),
  jitterMs: z.number().int().min(0).max(MAX_HANG_MS).optional(),
  /** rate_limit/ban/server_error: the HTTP status to answer */
  status: z.number().int().min(400).max(599).optional(),
  retryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
  /** hang: how long before the connection is closed */
  hangMs: z.number().int().min(0).max(MAX_HANG_MS).optional(),
  /** how many matching requests it hits; absent = until cleared */
  times: z.number().int().min(1).optional(),
});

export type FaultSpec = z.input<typeof faultSpecSchema>;

export interface ActiveFault extends z.output<typeof faultSpecSchema> {
  id: string;
  /** requests it has hit so far */
  hits: number;
}

/** What the server should do with one request. */
export interface FaultDecision {
  /** delay before anything else (sum of matching latency faults) */
  delayMs: number;
  /** at most one fault that changes the answer */
  fault?: ActiveFault;
}

function matches(fault: ActiveFault, venue: VenueId, method: string, path: string): boolean {
  if (fault.venue !== venue) return false;
  if (fault.method !== undefined && fault.method !== method.toUpperCase()) return false;
  if (fault.path === undefined) return true;
  return fault.path.endsWith("*") ? path.startsWith(fault.path.slice(0, -1)) : path === fault.path;
}

/** The active faults; consumes one-shot and N-times faults as they hit. */
export class FaultInjector {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  constructor(private readonly random: Random) {}

  /** Validates and adds a fault; throws a ZodError naming the bad field. */
  add(spec: FaultSpec): ActiveFault {
    const parsed = faultSpecSchema.parse(spec);
    const fault: ActiveFault = { ...parsed, id: `fault-${this.nextId++}`, hits: 0 };
    this.faults.push(fault);
    return { ...fault };
  }

  /** Removes one fault by id, all faults of a venue, or everything. Returns how many were removed. */
  clear(filter: { id?: string; venue?: VenueId } = {}): number {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) =>
      !((filter.id === undefined || f.id === filter.id) && (filter.venue === undefined || f.venue === filter.venue))
    );
    return before - this.faults.length;
  }

  list(): ActiveFault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Decides what happens to a request and counts the hits. */
  decide(venue: VenueId, method: string, path: string): FaultDecision {
    let delayMs = 0;
    let chosen: ActiveFault | undefined;
    for (const fault of this.faults) {
      if (!matches(fault, venue, method, path)) continue;
      if (fault.kind === "latency") {
        const jitter = fault.jitterMs ? Math.floor(this.random() * fault.jitterMs) : 0;
        delayMs += (fault.latencyMs ?? 0) + jitter;
        fault.hits++;
      } else if (!chosen) {
        chosen = fault;
        fault.hits++;
      }
    }
    this.faults = this.faults.filter((f) => f.times === undefined || f.hits < f.times);
    return { delayMs: Math.min(delayMs, MAX_HANG_MS), fault: chosen ? { ...chosen } : undefined };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The answers each venue gives for each fault, as the real venues send them.

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** The venue's answer for a status-changing fault (everything except latency, hang and unknown_after_place). */
export function faultResponse(venue: VenueId, fault: ActiveFault, now: number): Response {
  const retryAfter = String(fault.retryAfterSeconds ?? 1);
  switch (fault.kind) {
    case "rate_limit":
    case "ban": {
      const status = fault.status ?? (fault.kind === "ban" ? 418 : 429);
      const headers = { "retry-after": retryAfter };
      if (venue === "binance") {
        const msg = status === 418
          ? `Way too much request weight used; IP banned until ${now + Number(retryAfter) * 1000}. ` +
            "Please use WebSocket Streams for live updates to avoid bans."
          : "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. " +
            "Please use WebSocket Streams for live updates to avoid polling the API.";
        return json(status, { code: -1003, msg }, headers);
      }
      return json(status, { code: "50011", msg: "Too Many Requests", data: [] }, headers);
    }
    case "server_error": {
      const status = fault.status ?? 502;
      if (status === 503 && venue === "binance") {
        return json(503, { msg: "Service Unavailable." });
      }
      // Gateways in front of both venues answer 5xx with an HTML page, not the venue's JSON.
      return new Response(`<html><body><h1>${status} Server Error</h1></body></html>`, {
        status,
        headers: { "content-type": "text/html" },
      });
    }
    case "malformed":
      return new Response('{"code":0,"data":[{"truncated', {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    case "unknown_after_place":
      return unknownStatusResponse(venue, "/", now);
    default:
      return json(500, { error: `fault kind ${fault.kind} has no canned response` });
  }
}

/** "We may or may not have executed it": Binance's 503 body; OKX answers a 5xx gateway timeout page. */
export function unknownStatusResponse(venue: VenueId, path: string, now: number): Response {
  if (venue === "binance") {
    return json(503, { timestamp: now, path, msg: "Unknown error, please check your request or try again later." });
  }
  return new Response("<html><body><h1>504 Gateway Time-out</h1></body></html>", {
    status: 504,
    headers: { "content-type": "text/html" },
  });
}
