/**
 * Exits the venue keeps refusing (issue 14). After MAX_REJECTED_EXITS refusals a closing position is raised for a
 * person (positions.needs_attention, a note and an entry in the run summary) but never dropped: the burst keeps
 * trying, with backoff, and before each try it reads the base asset's free balance again and sells only what is there
 * (a balance briefly unavailable, or smaller than we think, is the usual cause). A person can ask for a try now
 * (`retry_position_exit`) or record that it was handled by hand (`mark_position_handled`); see DEPLOY.md.
 */
import type { Clock } from "../_shared/clock.ts";
import { describeError } from "../_shared/describe_error.ts";
import { ExchangeLayerError, NeedsHumanError } from "../_shared/exchange/errors.ts";
import type { OrderExecutor } from "../_shared/orders/executor.ts";
import type { PositionFigures } from "../_shared/orders/positions.ts";
import type { TradeStore } from "../_shared/orders/store.ts";
import type { PositionRow } from "../_shared/orders/types.ts";
import type { TradingMode } from "../_shared/settings.ts";
import type { Quote } from "../_shared/trading/quote.ts";
import type { BurstMarket } from "./markets.ts";
import type { PositionKeeper, Settled } from "./position_keeper.ts";
import { note, type VenueSummary } from "./summary.ts";

/** A closing position whose exit orders keep being refused needs a person (and slower retries). */
export const MAX_REJECTED_EXITS = 3;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;

/** How long to wait before the next try after `rejected` refusals (doubling from 1 s, at most a minute). */
export function exitBackoffMs(rejected: number): number {
  const doublings = Math.max(0, rejected - MAX_REJECTED_EXITS);
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(doublings, 16));
}

export interface ExitRetryContext {
  store: TradeStore;
  executor: OrderExecutor;
  markets: ReadonlyMap<string, BurstMarket>;
  clock: Clock;
  summary: VenueSummary;
  positions: PositionKeeper;
}

export class ExitRetry {
  /** Per position: the earliest next try (monotonic ms). A new burst tries once at once. */
  readonly #nextTryMs = new Map<string, number>();

  constructor(private readonly ctx: ExitRetryContext) {}

  /** One step for a closing position past MAX_REJECTED_EXITS refusals: try again when due, else flag it. */
  async step(
    position: PositionRow,
    figures: PositionFigures,
    quote: Quote | undefined,
    mode: TradingMode,
  ): Promise<Settled> {
    const after = await this.#tryIfDue(position, figures, quote, mode);
    if (after.position.status !== "closing" || after.figures.liveExit) {
      if (after.position.status === "closed" && after.position.needs_attention) {
        const cleared = await this.ctx.store.updatePosition(
          after.position.id,
          { needs_attention: false },
          this.ctx.clock.now(),
        );
        return { position: cleared, figures: after.figures };
      }
      return after;
    }
    return { position: await this.#flag(after.position, after.figures), figures: after.figures };
  }

  async #tryIfDue(
    position: PositionRow,
    figures: PositionFigures,
    quote: Quote | undefined,
    mode: TradingMode,
  ): Promise<Settled> {
    const { ctx } = this;
    const unchanged: Settled = { position, figures };
    const now = ctx.clock.monotonicMs();
    const due = this.#nextTryMs.get(position.id) ?? now;
    if (!quote || now < due) return unchanged;
    this.#nextTryMs.set(position.id, now + exitBackoffMs(figures.rejectedExits));
    const market = ctx.markets.get(position.symbol);
    if (!market) return unchanged;
    let free: number;
    try {
      free = (await ctx.executor.freeBalances([market.paper.base]))[market.paper.base] ?? 0;
    } catch (error) {
      if (!(error instanceof ExchangeLayerError) || error instanceof NeedsHumanError) throw error;
      note(ctx.summary, `position ${position.id}: exit retry: balance: ${describeError(error)}`);
      return unchanged;
    }
    const sellable = Math.min(figures.heldQty, free);
    if (!(sellable > 0)) {
      note(ctx.summary, `position ${position.id}: exit retry waits: ${free} ${market.paper.base} free`);
      return unchanged;
    }
    return await ctx.positions.exit(
      position,
      { ...figures, heldQty: sellable },
      position.exit_reason ?? "manual",
      quote,
      mode,
    );
  }

  /** Raises the position for a person once (the row), and in every burst's summary while it lasts. */
  async #flag(position: PositionRow, figures: PositionFigures): Promise<PositionRow> {
    const { ctx } = this;
    if (!ctx.summary.needs_attention.includes(position.id)) {
      ctx.summary.needs_attention.push(position.id);
      note(ctx.summary, `position ${position.id}: ${figures.rejectedExits} exits refused; needs a person (retrying)`);
    }
    if (position.needs_attention) return position;
    const why = `${figures.rejectedExits} exits refused; last: ${figures.lastExit?.last_error ?? "unknown"}`;
    return await ctx.store.updatePosition(position.id, { needs_attention: true, attention: why }, ctx.clock.now());
  }
}
