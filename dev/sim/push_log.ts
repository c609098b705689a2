// What the simulator's streams pushed and when, for the bench's push → order figures: newest last, the oldest dropped
// past a bound so a long-running simulator stays bounded.

import type { VenueId } from "./types.ts";

/** One push of a symbol's data to one socket. */
export interface SymbolPush {
  venue: VenueId;
  symbol: string;
  sentAtPerf: number;
}

export class PushLog {
  readonly #pushes: SymbolPush[] = [];

  constructor(private readonly max: number) {}

  /** Logs a push of `symbol` now. */
  add(venue: VenueId, symbol: string): void {
    this.#pushes.push({ venue, symbol, sentAtPerf: performance.now() });
    if (this.#pushes.length > this.max) this.#pushes.splice(0, this.#pushes.length - this.max);
  }

  /** The pushes sent after `afterPerf` (performance.now() of this process), oldest first. */
  since(afterPerf: number): SymbolPush[] {
    return this.#pushes.filter((p) => p.sentAtPerf > afterPerf).map((p) => ({ ...p }));
  }
}
