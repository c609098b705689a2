// The simulator's request log: every request with venue, path, privacy, timings and status, for tests to assert on.

import type { VenueId } from "./types.ts";
import type { RequestLogEntry } from "./venue_context.ts";

/** Oldest entries are dropped past this many, so a long-running simulator stays bounded. */
const MAX_ENTRIES = 50_000;

export interface RequestLogFilter {
  venue?: VenueId | "admin" | "unknown";
  /** only entries with an id greater than this */
  afterId?: number;
  private?: boolean;
  path?: string;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private nextId = 1;

  /** Records an arrival; the caller completes the returned entry (status, response time). */
  start(fields: Omit<RequestLogEntry, "id" | "arrivedAtPerf" | "arrivedAtMs">): RequestLogEntry {
    const entry: RequestLogEntry = {
      ...fields,
      id: this.nextId++,
      arrivedAtPerf: performance.now(),
      arrivedAtMs: Date.now(),
    };
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    return entry;
  }

  finish(entry: RequestLogEntry, status: number): void {
    entry.status = status;
    entry.respondedAtPerf = performance.now();
    entry.respondedAtMs = Date.now();
  }

  list(filter: RequestLogFilter = {}): RequestLogEntry[] {
    return this.entries
      .filter((e) =>
        (filter.venue === undefined || e.venue === filter.venue) &&
        (filter.afterId === undefined || e.id > filter.afterId) &&
        (filter.private === undefined || e.private === filter.private) &&
        (filter.path === undefined || e.path === filter.path)
      )
      .map((e) => ({ ...e }));
  }

  /** The id of the newest entry (0 when empty): take it before an action, then list({ afterId }). */
  lastId(): number {
    return this.nextId - 1;
  }

  clear(): void {
    this.entries = [];
  }
}
