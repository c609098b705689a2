/**
 * A tick's entries: every configured symbol's decision first (each one counting what the earlier ones reserved), then
 * the decided entries sent together. An entry is the position row (the order row refers to it), the order row, the
 * order, its first fill and, once it holds something, its protection on the venue.
 *
 * With an armed id ready for the symbol (armed_entries.ts) the order leaves first and both rows are written after it
 * in one round trip, so nothing but the decision sits between the quote and the order; without one (no armed store,
 * the mode changed mid-burst) the rows are written first, as before.
 *
 * Streaming (`beside`), a round does not wait for its entries: each goes on beside the later rounds (its answer, its
 * rows, its first fill and protection take a venue and a DB round trip, which a top of another symbol arriving
 * meanwhile must not wait for). Until the next preparation joins it, its symbol is busy and it counts as an open
 * position and a decided entry, so no later round can enter the symbol again or pass a limit through it.
 */
import type { LatencyBand, Settings } from "../_shared/settings.ts";
import type { DailyStats } from "../_shared/orders/store.ts";
import type { NewOrder, OrderTracker } from "../_shared/orders/order_tracker.ts";
import type { OrderRow, PositionRow } from "../_shared/orders/types.ts";
import type { ArmedEntries } from "./armed_entries.ts";
import { decideEntry } from "./entry_decision.ts";
import type { FreeQuoteLedger } from "./free_quote.ts";
import type { PositionKeeper } from "./position_keeper.ts";
import type { ProtectionKeeper } from "./protection_keeper.ts";
import type { QuoteFeed } from "./quote_feed.ts";
import { nextTurn } from "./tick_pacer.ts";
import { settleAll } from "./settle_all.ts";
import { bump } from "./summary.ts";
import type { VenueBurstContext } from "./venue_burst_context.ts";

export interface EntryKeeperParts {
  quotes: QuoteFeed;
  funds: FreeQuoteLedger;
  orders: OrderTracker;
  positions: PositionKeeper;
  protection: ProtectionKeeper;
  /** Entry ids armed before the quote; null records each entry before its send. */
  armed: ArmedEntries | null;
  budgetSpent: () => boolean;
  /** Streaming: entries go on beside the rounds (joined by `join`); polling: the tick waits for them. */
  beside: () => boolean;
  /** An entry sent beside the rounds has ended: the next tick prepares (takes in its position) before deciding. */
  entryEnded: () => void;
}

export class EntryKeeper {
  /** Entries going on beside the rounds, by symbol. */
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Symbols entered since the last join: busy until a preparation has taken in their positions. */
  readonly #entered = new Set<string>();
  /** Entries decided whose position is not yet in today's counters (those move once the position row is written). */
  #unrecorded = 0;
  /** The first failure of an entry sent beside the rounds, thrown where it is joined. */
  #failure: { error: unknown } | null = null;

  constructor(private readonly ctx: VenueBurstContext, private readonly parts: EntryKeeperParts) {}

  /**
   * Waits for the entries sent beside the rounds, then throws the first failure. Every preparation calls it before
   * it takes in positions, and the burst before it ends: no entry outlives the lease.
   */
  async join(): Promise<void> {
    await Promise.all(this.#inFlight.values());
    this.#entered.clear();
    const failure = this.#failure;
    this.#failure = null;
    if (failure) throw failure.error;
  }

  /** Entries still going on beside the rounds (sent, their answer or rows not yet in). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Decides and sends this tick's entries; `active` are the positions still active after the exits. */
  async lookForEntries(
    settings: Settings,
    active: readonly PositionRow[],
    band: LatencyBand,
    venueActive: boolean,
    /** Decide only these symbols (a round a book top started); default every configured symbol. */
    options: { only?: ReadonlySet<string> } = {},
  ): Promise<void> {
    const { ctx, parts } = this;
    const s = ctx.summary;
    // Entries still going on beside the rounds are not among `active` (the last preparation predates them).
    const busySymbols = new Set([...active.map((p) => p.symbol), ...this.#entered]);
    let openPositions = active.length + this.#entered.size;
    const entries: Promise<void>[] = [];
    // A new UTC day reads the tables here, before any decision (the decisions themselves read memory only).
    await ctx.daily.current(ctx.clock.now());
    // An entry is decided on this quote, so it goes now or not at all: one that would wait for the venue's order
    // limit (sent seconds later on an old price) is refused, and it never spends the share kept for exits.
    let entryRoom = parts.orders.affordableEntries();

    for (const symbol of ctx.symbols) {
      // An entry started now could not be followed up inside the budget.
      if (parts.budgetSpent()) break;
      if (options.only && !options.only.has(symbol)) continue;
      const quote = ctx.quotes.get(symbol);
      const market = ctx.markets.get(symbol);
      if (!quote || !market) continue;
      if (busySymbols.has(symbol)) {
        bump(s.signals.skipped, "position_open");
        continue;
      }
      const decision = decideEntry({
        quote,
        buffer: parts.quotes.momentum(symbol),
        band,
        settings,
        // Memory only, read with no await before the reservation below: venues deciding together each see the
        // other's reserved slot (global max_open_positions).
        daily: this.#dailyWithUnrecorded(),
        freeQuote: parts.funds.free,
        openPositions,
        rules: market.rules,
        venueActive,
      });
      s.signals.evaluated += 1;
      if (decision.action !== "enter") {
        bump(decision.action === "skip" ? s.signals.skipped : s.refusals, decision.reason);
        continue;
      }
      if (entryRoom < 1) {
        bump(s.refusals, "venue_order_limit");
        continue;
      }
      entryRoom -= 1;
      s.signals.entries += 1;
      // Counted at the decision, so the next symbol's decision sees it (and the other venue's, for the global
      // open-position limit): the entries go out together below.
      ctx.daily.reserveOpen();
      this.#unrecorded += 1;
      openPositions += 1;
      busySymbols.add(symbol);
      // What the venue will hold for it; a refused entry makes the balance stale (the tracker's listener).
      parts.funds.reserve(decision.amount * decision.price);
      const entering = this.#enterCounted(symbol, decision.price, decision.amount, settings);
      if (parts.beside()) this.#goOnBeside(symbol, entering);
      else {
        // Its failure is taken in below (settleAll), after the turns this loop waits.
        entering.catch(() => {});
        entries.push(entering);
      }
      // A request leaves only when the event loop turns: the entry just built goes out before the next one is built.
      await nextTurn();
    }
    await settleAll(entries);
  }

  #goOnBeside(symbol: string, entering: Promise<void>): void {
    this.#entered.add(symbol);
    const going = entering.catch((error: unknown) => {
      this.#failure ??= { error };
    }).finally(() => {
      this.#inFlight.delete(symbol);
      this.parts.entryEnded();
    });
    this.#inFlight.set(symbol, going);
  }

  /** Today's counters plus the entries decided but not recorded yet. */
  #dailyWithUnrecorded(): DailyStats {
    const daily = this.ctx.daily.snapshot();
    return { ...daily, entries: daily.entries + this.#unrecorded };
  }

  /** #enter, with the entry leaving the unrecorded count once its position is counted (or it failed before). */
  async #enterCounted(symbol: string, price: number, amount: number, settings: Settings): Promise<void> {
    let done = false;
    const counted = () => {
      if (done) return;
      done = true;
      this.#unrecorded -= 1;
    };
    try {
      await this.#enter(symbol, price, amount, settings, counted);
    } finally {
      counted();
    }
  }

  async #enter(
    symbol: string,
    price: number,
    amount: number,
    settings: Settings,
    /** Called once the position is in today's counters. */
    counted: () => void,
  ): Promise<void> {
    const { ctx, parts } = this;
    const { mode } = settings;
    const entry: NewOrder = {
      venue: ctx.venue,
      symbol,
      side: "buy",
      type: "limit",
      price,
      amount,
      purpose: "entry",
      position_id: null,
      mode,
    };
    const newPosition = (openedAt: string) => ({ venue: ctx.venue, symbol, mode, opened_at: openedAt });
    const armed = parts.armed?.take(symbol, mode) ?? null;
    let position: PositionRow;
    let order: OrderRow;
    if (armed) {
      const recorded: { position?: PositionRow } = {};
      order = await parts.orders.sendArmed({ ...entry, client_order_id: armed.client_order_id }, async (settled) => {
        const rows = await ctx.store.recordArmedEntry(armed.id, newPosition(settled.created_at), settled);
        recorded.position = rows.position;
        ctx.daily.recordEntry(rows.position);
        counted();
        return rows.order;
      });
      if (!recorded.position) throw new Error(`entry ${armed.client_order_id}: recorded without its position`);
      position = recorded.position;
    } else {
      position = await ctx.store.insertPosition(newPosition(ctx.clock.now().toISOString()));
      ctx.daily.recordEntry(position);
      counted();
      order = await parts.orders.place({ ...entry, position_id: position.id });
    }
    if (order.order_status === "rejected") ctx.daily.recordRefused(position);
    await parts.protection.ensure(await parts.positions.advance(position), settings);
  }
}
