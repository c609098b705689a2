/**
 * The burst's armed entry ids (pre_armed.ts): a few reserved client order ids per traded symbol, armed in one write
 * before the quote (at burst start, then in the first phase of a tick once a symbol has used its last), so an
 * entry leaves as soon as its decision is made and its rows are written after the send (record_armed_entry; a leased
 * burst queues them for its next commit, apply_burst_writes).
 *
 * At burst start, under the lease, it settles what earlier bursts left armed: an id the venue knows was sent before a
 * crash and is adopted (position and order rows from the venue's view, then managed like any entry); one it does not
 * know past the grace period is retired. At the end, ids never used are retired.
 */
import { describeError } from "../_shared/describe_error.ts";
import { NeedsHumanError } from "../_shared/exchange/errors.ts";
import type { OrderExecutor } from "../_shared/orders/executor.ts";
import { orderPatchFromView, provisionalOrder } from "../_shared/orders/order_book.ts";
import {
  type ArmedOrderRow,
  type ArmedOrderStore,
  type ArmedSlot,
  PreArmedOrders,
  settleArmed,
} from "../_shared/orders/pre_armed.ts";
import { DEFAULT_NOT_FOUND_GRACE_MS } from "../_shared/orders/reconcile.ts";
import type { ExchangeOrderView, OrderRow, PositionRow } from "../_shared/orders/types.ts";
import type { TradingMode } from "../_shared/settings.ts";
import { type ArmedEntriesReport, note } from "./summary.ts";
import type { VenueBurstContext } from "./venue_burst_context.ts";

const entrySlot = (symbol: string): ArmedSlot => ({ symbol, side: "buy", purpose: "entry" });

/**
 * Entry ids armed per symbol: a symbol's entries then cost one arming write per three (the writes top up every
 * symbol together), not one each. A burst's unused ids are retired together at its end.
 */
export const ARMED_ENTRIES_PER_SYMBOL = 3;

/** The limit order an armed id stands for (entries are limit orders), as it stood before its send. */
function armedOrder(armed: ArmedOrderRow, figures: { price: number; amount: number }, id: string): OrderRow {
  return provisionalOrder(
    {
      client_order_id: armed.client_order_id,
      venue: armed.venue,
      symbol: armed.symbol,
      side: armed.side,
      type: "limit",
      ...figures,
      purpose: armed.purpose,
      position_id: null,
      mode: armed.mode,
    },
    id,
    new Date(armed.armed_at),
  );
}

/**
 * What the executor's lookup takes for an armed id: it asks the venue by client order id (no exchange id yet). The
 * figures are placeholders (the real ones are only in the venue's answer); the amount stands in only where that answer
 * omits one, as before this helper.
 */
const armedAsOrder = (armed: ArmedOrderRow) => armedOrder(armed, { price: 1, amount: 1 }, armed.id);

export class ArmedEntries {
  readonly #armed: PreArmedOrders;

  constructor(
    private readonly ctx: VenueBurstContext,
    private readonly store: ArmedOrderStore,
    readonly mode: TradingMode,
  ) {
    this.#armed = new PreArmedOrders({
      store,
      clock: ctx.clock,
      venue: ctx.venue,
      mode,
      perSlot: ARMED_ENTRIES_PER_SYMBOL,
    });
  }

  /** Tops every traded symbol's entry ids up once one has none ready (one write, none while all have one). */
  async arm(): Promise<void> {
    await this.#armed.ensure(this.ctx.symbols.map(entrySlot));
  }

  /** The armed id for an entry on `symbol`, from memory; null when none is ready (or the mode changed). */
  take(symbol: string, mode: TradingMode): ArmedOrderRow | null {
    return mode === this.mode ? this.#armed.take(entrySlot(symbol)) : null;
  }

  /** Ids never used this burst are retired (one write). */
  async retireUnused(): Promise<number> {
    return await this.#armed.retireUnused();
  }

  /**
   * Settles what earlier bursts left armed; adopted entries come back as positions for the burst to manage. A lookup
   * that fails leaves the id armed for the next burst.
   */
  async settleLeftovers(executor: OrderExecutor): Promise<{ report: ArmedEntriesReport; adopted: PositionRow[] }> {
    const { ctx } = this;
    const now = ctx.clock.now();
    const settled = await settleArmed(this.store, {
      venue: ctx.venue,
      mode: this.mode,
      now,
      graceMs: ctx.notFoundGraceMs ?? DEFAULT_NOT_FOUND_GRACE_MS,
      lookupByClientId: (armed) => executor.lookup(armedAsOrder(armed)),
    });
    for (const detail of settled.details) note(ctx.summary, `armed: ${detail}`);
    const adopted: PositionRow[] = [];
    let leftArmed = settled.leftArmed;
    for (const { armed, view } of settled.sent) {
      try {
        adopted.push(await this.#adopt(armed, view));
      } catch (error) {
        if (error instanceof NeedsHumanError) throw error;
        leftArmed += 1;
        note(ctx.summary, `armed: ${armed.client_order_id}: sent before a crash, not adopted: ${describeError(error)}`);
      }
    }
    return {
      report: { checked: settled.checked, adopted: adopted.length, retired: settled.retired, left_armed: leftArmed },
      adopted,
    };
  }

  /** An armed entry the venue knows: its rows, as the venue sees the order now. */
  async #adopt(armed: ArmedOrderRow, view: ExchangeOrderView): Promise<PositionRow> {
    const { ctx } = this;
    const amount = view.amount ?? (view.remaining !== null ? view.filled + view.remaining : null);
    const price = view.price ?? view.average;
    if (!(amount !== null && amount > 0) || !(price !== null && price > 0)) {
      throw new Error(`the venue's answer states no amount or price (amount ${amount}, price ${price})`);
    }
    const now = ctx.clock.now();
    const provisional = armedOrder(armed, { price, amount }, crypto.randomUUID());
    const decided = orderPatchFromView(provisional, view, now);
    const order = "ignored" in decided ? provisional : { ...provisional, ...decided.patch };
    const rows = await ctx.store.recordArmedEntry(armed.id, {
      venue: armed.venue,
      symbol: armed.symbol,
      mode: armed.mode,
      opened_at: armed.armed_at,
    }, order);
    note(ctx.summary, `armed: ${armed.client_order_id}: sent before a crash, adopted from the venue`);
    return rows.position;
  }
}
