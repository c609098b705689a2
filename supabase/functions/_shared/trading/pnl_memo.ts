/**
 * realizedPnl of fills already seen, remembered. A burst moves every active position on each round, and most rounds
 * change none of its fills, while the exact (bigint) arithmetic is the dearest part of moving a position. The key is
 * the fills' own decimal texts, which are all realizedPnl reads, so a remembered answer is the one it would compute.
 */
import { feesOf, type FillLike, pairOf, type RealizedPnl, realizedPnl } from "./pnl.ts";

/** Enough for every position a burst holds at once, many times over; the oldest entry goes first. */
const CAPACITY = 256;

function fillsKey(fills: readonly FillLike[]): string {
  let key = "";
  for (const fill of fills) {
    key += `${fill.price}*${fill.amount}`;
    for (const fee of feesOf(fill)) key += `+${fee.cost}:${fee.currency ?? ""}`;
    key += ";";
  }
  return key;
}

function frozen(pnl: RealizedPnl): RealizedPnl {
  Object.freeze(pnl.entry);
  Object.freeze(pnl.exit);
  return Object.freeze(pnl);
}

export class RealizedPnlMemo {
  readonly #answers = new Map<string, RealizedPnl>();
  #hits = 0;

  /** The realized PnL of a long in `symbol` (BASE/QUOTE, fees already in base or quote), frozen: it is shared. */
  of(symbol: string, entryFills: readonly FillLike[], exitFills: readonly FillLike[]): RealizedPnl {
    const key = `${symbol}|${fillsKey(entryFills)}|${fillsKey(exitFills)}`;
    const known = this.#answers.get(key);
    if (known) {
      this.#hits += 1;
      return known;
    }
    const answer = frozen(realizedPnl(entryFills, exitFills, pairOf(symbol)));
    if (this.#answers.size >= CAPACITY) this.#answers.delete(this.#answers.keys().next().value!);
    this.#answers.set(key, answer);
    return answer;
  }

  /** How many answers came from memory (for tests). */
  get hits(): number {
    return this.#hits;
  }

  get size(): number {
    return this.#answers.size;
  }
}
