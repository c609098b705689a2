// Fault injection for the simulator's WebSocket streams, per venue: drop (close every open socket now), stall (keep
// the sockets open but send nothing, pongs included, until a time), refuse (no new socket accepted), garbage (the next N pushes are not JSON),
// duplicate (every push is sent twice) and delay (every push waits this long). Tests and the admin API drive it.

import type { VenueId } from "./types.ts";

export interface StreamFaultState {
  stallUntilMs: number;
  garbage: number;
  duplicate: boolean;
  delayMs: number;
}

/** What a push should do now, decided once per push. */
export interface PushPlan {
  skip: boolean;
  garbage: boolean;
  copies: number;
  delayMs: number;
}

export class StreamFaults {
  readonly #state: Record<VenueId, StreamFaultState> = {
    binance: { stallUntilMs: 0, garbage: 0, duplicate: false, delayMs: 0 },
    okx: { stallUntilMs: 0, garbage: 0, duplicate: false, delayMs: 0 },
  };
  readonly #droppers = new Set<(venue: VenueId) => void>();
  readonly #refusing = new Set<VenueId>();
  /** How many times each fault was applied (tests assert the fault really happened). */
  readonly applied = { drop: 0, stalledPushes: 0, garbage: 0, duplicated: 0 };

  constructor(private readonly nowMs: () => number = () => performance.now()) {}

  /** Closes every open stream socket of the venue now (the hub registers here). */
  drop(venue: VenueId): void {
    this.applied.drop += 1;
    for (const dropper of this.#droppers) dropper(venue);
  }

  /** Nothing is sent on the venue's sockets (pushes, answers, pongs) for `ms`. */
  stall(venue: VenueId, ms: number): void {
    this.#state[venue].stallUntilMs = this.nowMs() + ms;
  }

  /** While on, new stream connections of the venue are refused (HTTP 503 instead of the upgrade). */
  refuse(venue: VenueId, on = true): void {
    if (on) this.#refusing.add(venue);
    else this.#refusing.delete(venue);
  }

  refusing(venue: VenueId): boolean {
    return this.#refusing.has(venue);
  }

  /** Ends a stall early. */
  resume(venue: VenueId): void {
    this.#state[venue].stallUntilMs = 0;
  }

  /** The next `count` pushes on the venue are not JSON. */
  garbage(venue: VenueId, count = 1): void {
    this.#state[venue].garbage += count;
  }

  duplicate(venue: VenueId, on = true): void {
    this.#state[venue].duplicate = on;
  }

  delay(venue: VenueId, ms: number): void {
    this.#state[venue].delayMs = Math.max(0, ms);
  }

  clear(venue?: VenueId): void {
    for (const v of venue ? [venue] : (["binance", "okx"] as const)) {
      this.#state[v] = { stallUntilMs: 0, garbage: 0, duplicate: false, delayMs: 0 };
      this.#refusing.delete(v);
    }
  }

  stalled(venue: VenueId): boolean {
    return this.nowMs() < this.#state[venue].stallUntilMs;
  }

  onDrop(dropper: (venue: VenueId) => void): () => void {
    this.#droppers.add(dropper);
    return () => this.#droppers.delete(dropper);
  }

  /** Decides one push: consumes a garbage credit, counts what it applies. */
  plan(venue: VenueId): PushPlan {
    const s = this.#state[venue];
    if (this.stalled(venue)) {
      this.applied.stalledPushes += 1;
      return { skip: true, garbage: false, copies: 0, delayMs: 0 };
    }
    const garbage = s.garbage > 0;
    if (garbage) {
      s.garbage -= 1;
      this.applied.garbage += 1;
    }
    if (s.duplicate) this.applied.duplicated += 1;
    return { skip: false, garbage, copies: s.duplicate ? 2 : 1, delayMs: s.delayMs };
  }
}
