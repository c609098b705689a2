/**
 * One venue's burst: reconcile, then ticks until the time budget is spent.
 *
 * A tick is two phases. First everything that does not depend on prices: the Start/Stop switch, the working orders'
 * updates, moving positions along their fills (and cancelling entries that waited too long), today's counters, when
 * stale the free balance, and arming entry ids. Then the hot path: this tick's quotes (one request when polling; with
 * a stream the tick waits here for the book top it acts on), exit decisions and exits, entry decisions and entries,
 * so nothing but decisions and our own orders sits between a quote and an order. Streaming, most ticks are rounds a
 * pushed top starts: they skip the first phase unless something happened since the last one (`prepare`, run_burst).
 *
 * State between ticks lives in memory: the burst holds the venue's lease, so its orders and positions change only
 * through it (the store is a LeasedVenueStore), today's counters move with what the venues do (DailyTally), and the
 * free balance moves with what entries reserve (FreeQuoteLedger). Changes to the venue's rows are queued and reach the
 * tables in one transaction (leased_store.ts): with the next order recorded before its send, or at the tick's end at
 * the latest (streaming, that commit runs while the next tick waits for its top); an entry sent with an armed id is
 * recorded right after its send (its armed row is the record until then).
 *
 * This file is the outline; the work is done by the parts it holds: OrderTracker (_shared/orders/order_tracker.ts)
 * owns every order (record, send, look up, cancel, refresh), PositionKeeper moves positions along and sends exits,
 * QuoteFeed reads quotes and momentum, EntryKeeper (entry_keeper.ts, with decideEntry) decides and sends entries
 * (with ids ArmedEntries armed before the quote, so their rows are written after the send), ExitRetry retries refused
 * exits, FeeValuation values fees paid in a third currency, ProtectionKeeper keeps a take profit and a stop loss
 * resting on the venue for every position that holds something.
 *
 * A venue that refuses our keys (NeedsHumanError) stops the burst at once: no later tick can fix it.
 */
import { describeError } from "../_shared/describe_error.ts";
import { ExchangeLayerError, NeedsHumanError } from "../_shared/exchange/errors.ts";
import { defensiveBand } from "../_shared/latency/bands.ts";
import { OrderTracker } from "../_shared/orders/order_tracker.ts";
import { reconcileVenue } from "../_shared/orders/reconcile.ts";
import type { PositionRow } from "../_shared/orders/types.ts";
import type { LatencyBand, Settings } from "../_shared/settings.ts";
import { isFinalStatus } from "../_shared/trading/lifecycle.ts";
import { ArmedEntries } from "./armed_entries.ts";
import { EntryKeeper } from "./entry_keeper.ts";
import { ExitRetry, MAX_REJECTED_EXITS } from "./exit_retry.ts";
import { FeeValuation } from "./fee_valuation.ts";
import { FreeQuoteLedger } from "./free_quote.ts";
import { OrderFeed } from "./order_feed.ts";
import { burstExitReason, isActive, PositionKeeper, type Settled } from "./position_keeper.ts";
import { ProtectionKeeper } from "./protection_keeper.ts";
import { QuoteFeed } from "./quote_feed.ts";
import { settleEach } from "./settle_all.ts";
import { nextTurn } from "./tick_pacer.ts";
import { note, type VenueSummary } from "./summary.ts";
import type { VenueBurstContext } from "./venue_burst_context.ts";

export function bandFor(settings: Settings, name: string | null): LatencyBand {
  return settings.latency_bands.find((band) => band.name === name) ?? defensiveBand(settings.latency_bands);
}

export class VenueBurst {
  readonly #quotes: QuoteFeed;
  readonly #positions: PositionKeeper;
  /** Take profit and stop loss resting on the venue for every position that holds something. */
  readonly #protection: ProtectionKeeper;
  readonly #funds: FreeQuoteLedger;
  /** Every order of the burst goes through it: record, send, look up, cancel, refresh. */
  readonly #orders: OrderTracker;
  /** Working orders brought up to date each tick: the order stream's updates, or a REST refresh. */
  readonly #orderFeed: OrderFeed;
  readonly #retries: ExitRetry;
  readonly #entries: EntryKeeper;
  /** Entry ids armed before the quote (null: entries are recorded before their send). */
  readonly #armed: ArmedEntries | null;
  #band: LatencyBand | null = null;
  #venueActive = true;
  /** The positions as the last preparation (or order update) left them; null before the first tick. */
  #settled: Settled[] | null = null;
  /** The next tick takes in order updates and positions, then does the rest of a preparation. */
  #preparationDue = true;
  /**
   * The next tick does the rest of a preparation (the switch, today's counters, funds, armed ids) but takes nothing
   * in: an order update mid-tick was just taken in, and taking in again would wait for the protection that take-in
   * placed beside the rounds (its legs' record, then the venue's answer) with nothing new to take in.
   */
  #restOfPreparationDue = false;
  /**
   * Exits and entries recorded so far: what a tick compares to see whether it sent one. Protection legs (and, when
   * streaming, entries) are left out: sent beside the rounds, they are recorded while later rounds run, and each
   * flags the next preparation itself when it ends.
   */
  #exitsRecorded = 0;
  #entriesRecorded = 0;
  /**
   * Protection placed beside the rounds since the last preparation, by position id: a round does not wait for it;
   * that position's exits wait for the next preparation (the figures a round holds for it predate the legs), and the
   * next preparation joins the placement first.
   */
  readonly #protecting = new Map<string, Promise<void>>();
  /** The first failure of protection placed beside the rounds, thrown where it is joined. */
  #protectionFailure: { error: unknown } | null = null;
  /** Whether the last tick found that pushed tops could lead to an order (`decidesOnTops`). */
  #decidedOnTops = true;

  constructor(private readonly ctx: VenueBurstContext) {
    this.#quotes = new QuoteFeed({ ...ctx, symbols: ctx.managedSymbols ?? ctx.symbols });
    this.#funds = new FreeQuoteLedger(
      async () => {
        const asset = this.#quoteAsset();
        return (await ctx.executor.freeBalances([asset]))[asset] ?? 0;
      },
      () => this.#quoteAsset(),
      (symbol) => ctx.markets.get(symbol)?.paper.quote,
    );
    this.#orders = new OrderTracker({
      store: ctx.store,
      executor: ctx.executor,
      clock: ctx.clock,
      notFoundGraceMs: ctx.notFoundGraceMs,
      listener: {
        recorded: (order) => {
          ctx.summary.orders_sent += 1;
          if (order.purpose === "exit") this.#exitsRecorded += 1;
          if (order.purpose === "entry") this.#entriesRecorded += 1;
        },
        changed: (order, before) => {
          if (order.filled > before.filled) ctx.summary.fills += 1;
          // A released reservation, an exit's proceeds: the balance moves without a read (or goes stale).
          if (!isFinalStatus(before.order_status) && isFinalStatus(order.order_status)) this.#funds.ended(order);
        },
        note: (text) => note(ctx.summary, text),
      },
    });
    this.#orderFeed = new OrderFeed({
      venue: ctx.venue,
      store: ctx.store,
      orders: this.#orders,
      stream: ctx.orderStream,
      summary: ctx.summary.order_stream,
      nowMs: () => ctx.clock.monotonicMs(),
    });
    const budgetSpent = () => this.#budgetSpent();
    this.#positions = new PositionKeeper({
      ...ctx,
      orders: this.#orders,
      budgetSpent,
      fees: new FeeValuation(ctx),
      release: (settled) => this.#protection.release(settled),
      orderStreamUp: () => ctx.orderStream?.up ?? false,
    });
    this.#protection = new ProtectionKeeper({
      ...ctx,
      orders: this.#orders,
      advance: (position) => this.#positions.advance(position),
      budgetSpent,
    });
    this.#retries = new ExitRetry({ ...ctx, positions: this.#positions });
    this.#armed = ctx.armedStore ? new ArmedEntries(ctx, ctx.armedStore, ctx.settings.current.mode) : null;
    this.#entries = new EntryKeeper(ctx, {
      quotes: this.#quotes,
      funds: this.#funds,
      orders: this.#orders,
      positions: this.#positions,
      protection: this.#protection,
      armed: this.#armed,
      budgetSpent,
      beside: () => this.#entriesBeside,
      // The entry moved positions, funds and armed ids: the next tick takes that in before deciding.
      entryEnded: () => this.#preparationDue = true,
    });
  }

  get summary(): VenueSummary {
    return this.ctx.summary;
  }

  /** The quote asset the burst spends (USDT for the configured symbols). */
  #quoteAsset(): string {
    const first = this.ctx.symbols.map((s) => this.ctx.markets.get(s)).find((m) => m !== undefined);
    return first?.paper.quote ?? "USDT";
  }

  #budgetSpent(): boolean {
    return this.ctx.deadline !== undefined && this.ctx.deadline.remainingMs() <= 0;
  }

  /** The venue refused our keys while an order was being placed: stop now that the caller has tidied up. */
  #stopIfNeedsHuman(): void {
    if (this.#orders.needsHuman) throw this.#orders.needsHuman;
  }

  finishSummary(): void {
    this.ctx.summary.orders_by_status = this.#orders.statusCounts();
  }

  async reconcile(): Promise<void> {
    const { store, executor, venue, clock } = this.ctx;
    const settings = this.ctx.settings.current;
    this.#orderFeed.beforeReconcile();
    this.ctx.summary.reconcile = await reconcileVenue(store, executor, {
      venue,
      mode: settings.mode,
      now: () => clock.now(),
      graceMs: this.ctx.notFoundGraceMs,
      rulesFor: (symbol) => this.ctx.markets.get(symbol)?.rules,
      onPositionEvent: (result) => this.#positions.count(result),
    });
    if (this.#armed) {
      // Entries an earlier burst sent but could not record (the armed id is their only record) become positions.
      const { report, adopted } = await this.#armed.settleLeftovers(executor);
      this.ctx.summary.armed = report;
      for (const position of adopted) {
        this.ctx.daily.recordEntry(position);
        this.ctx.daily.reserveOpen();
      }
    }
    // Before anything else: a position left without protection (a crash between fill and protect) gets it now.
    await this.#settleAndProtect(settings);
    const connection = await store.venueConnection(venue);
    this.#band = bandFor(settings, connection.latencyBand);
    this.#venueActive = connection.isActive;
    this.ctx.summary.band = this.#band.name;
    if (!connection.isActive) note(this.ctx.summary, "venue inactive: no new entries; open positions still managed");
    const rehearsal = this.#rehearseEntry(settings);
    await this.#armEntries(settings);
    await store.flush?.();
    await rehearsal;
  }

  /**
   * Builds and signs one entry the venue never sees, while reconcile's last writes travel: the first tick's first
   * entry would otherwise also pay for the order path's first run (ccxt's, several ms). Only where entries may go
   * out; a refusal is noted, and the entries go out as they would have.
   */
  async #rehearseEntry(settings: Settings): Promise<void> {
    const { executor, markets, symbols } = this.ctx;
    const symbol = symbols[0];
    if (!executor.rehearse || symbol === undefined || !settings.trading_enabled || !this.#venueActive) return;
    const rules = markets.get(symbol)?.rules;
    if (!rules) return;
    // The requests started beside it leave first.
    await nextTurn();
    try {
      await executor.rehearse({
        symbol,
        side: "buy",
        type: "limit",
        amount: Math.max(rules.minAmount ?? 0, rules.amountStep),
        price: rules.priceStep * 1000,
      });
    } catch (error) {
      note(this.ctx.summary, `rehearse an entry: ${describeError(error)}`);
    }
  }

  /** Off the hot path: an armed id for every symbol an entry may be sent on this tick. */
  async #armEntries(settings: Settings): Promise<void> {
    if (!this.#armed || !settings.trading_enabled || !this.#venueActive || this.#budgetSpent()) return;
    try {
      await this.#armed.arm();
    } catch (error) {
      // Entries then record their rows before the send, as without armed ids.
      note(this.ctx.summary, `arm entries: ${describeError(error)}`);
    }
  }

  /** Retires the armed ids this burst did not use (after the last tick, or when the burst ends early). */
  async retireArmed(): Promise<void> {
    if (!this.#armed) return;
    try {
      await this.#armed.retireUnused();
    } catch (error) {
      // Left armed: the next burst's reconciliation finds the venue does not know them and retires them.
      note(this.ctx.summary, `retire armed entries: ${describeError(error)}`);
    }
  }

  /**
   * One tick. Exchange errors on quotes end the tick early (counted); NeedsHumanError and anything that is not an
   * exchange error propagate.
   *
   * `prepare` false (streaming, nothing happened since the last preparation: no order update, no order of ours, not
   * yet burst_tick_ms) skips the preparation and decides on the positions as the last tick left them, so a round
   * that a book top starts costs its decisions only. A tick that sends an entry or an exit leaves `needsPreparation`
   * set (protection placed beside the rounds sets it when the placement ends).
   */
  async tick(waitForData?: () => Promise<void>, prepare = true): Promise<void> {
    const { ctx } = this;
    ctx.summary.ticks += 1;
    const sentBefore = this.#sentByTicks();
    let settled = this.#settled;
    // A round takes nothing in (no preparation; no order update, which ends it being one below). A prepared tick waits
    // for a Start/Stop switch younger than a tick; a round decides on the last one read while the next read runs
    // beside it (BurstSettings): a Stop holds back entries within about a tick.
    let round = !prepare && settled !== null;
    const settings = round ? ctx.settings.latest() : await ctx.settings.refresh();
    if (prepare || settled === null) {
      // Off the hot path: nothing here depends on this tick's prices.
      // Only the rest of a preparation due (#restOfPreparationDue): the positions stay as the last take-in left them.
      const takeIn = !this.#restOfPreparationDue || this.#preparationDue || this.#orderFeed.pending;
      this.#preparationDue = false;
      this.#restOfPreparationDue = false;
      if (takeIn || settled === null) settled = await this.#takeInUpdates(settings);
      await ctx.daily.current(ctx.clock.now());
      if (settings.trading_enabled && !this.#budgetSpent()) await this.#readFundsIfStale();
      await this.#armEntries(settings);
      // What the preparation changed goes to the tables while the tick waits for its top.
      this.#commitSoon();
    }
    this.#settled = settled;
    const decides = this.decidesOnTops;
    // Without rounds the momentum buffers took a sample a tick, not one per STREAM_MOMENTUM_SAMPLE_MS: a window of
    // them spans a longer move than the setting means, so entries wait for it to fill again at the streams' cadence.
    if (decides && !this.#decidedOnTops && this.ctx.stream) this.#quotes.restartMomentum();
    this.#decidedOnTops = decides;
    if (waitForData) {
      // Streaming: the tick is prepared, now it waits for the book top it acts on (the pacer's rules).
      await waitForData();
      // An order update ended the wait (a fill, a cancel): take it in before deciding on this top.
      if (this.#orderFeed.pending) {
        round = false;
        // A take-in covers whatever an earlier event left due (it joins what went on beside, then takes in every
        // update); an event during it flags the next preparation again.
        this.#preparationDue = false;
        settled = this.#settled = await this.#takeInUpdates(settings);
        this.#restOfPreparationDue = true;
        // Its writes go out beside the decisions on this top, not before them.
        this.#commitSoon();
      }
    }

    // A commit that failed while the tick waited (a preparation's, an earlier tick's closing one) stops the burst
    // before its decisions: nothing is sent on memory the tables could not follow.
    ctx.store.throwIfBehind?.();
    try {
      // The hot path: quote → decisions → exits → entries.
      const changed = await this.#quotes.read(settings.momentum_window);
      if (!changed) return;
      const beforeExits = this.#exitsRecorded;
      const active = await this.#manageExits(settings, settled);
      // An exit sent this tick moves funds, today's PnL and the open slots while its writes settle, and its writes
      // would delay an entry decided behind them on an ageing quote: entries wait for the next round and its fresh top.
      if (this.#exitsRecorded !== beforeExits) return;
      await this.#entries.lookForEntries(settings, active, this.#band ?? bandFor(settings, null), this.#venueActive, {
        // A round that took nothing in decides the symbols whose top moved. A tick that prepared or took in an order
        // update decides them all: a fill or a cancel may have freed a symbol, a slot or funds, and a symbol whose top
        // has not moved since is decided on that top now rather than at the next one.
        only: round ? changed : undefined,
      });
      this.#stopIfNeedsHuman();
    } finally {
      // What this tick sent moves positions, funds and armed ids: the next tick prepares again.
      if (this.#sentByTicks() !== sentBefore) this.#preparationDue = true;
    }
    if (this.#entriesBeside) {
      // Streaming: the tick's changes go to the tables while the next tick waits for its top, which must not wait for
      // writes it does not follow (a failed one stops the burst before the next tick's decisions). Orders do not
      // outrun them: an exit's record, or an entry's without an armed id, commits after them, before its send.
      this.#commitSoon();
      return;
    }
    // Polling: every tick ends with its changes in the tables (a failed write stops the burst here); young armed
    // entries' rows may wait for a commit with more to carry (their armed rows record them).
    await ctx.store.commitTick?.(ctx.clock.now(), { waitForEarlier: true });
  }

  /**
   * Starts the commit of the queued writes without waiting for it (young armed entries' rows alone wait, as at a
   * tick's end). A failure is not lost: the store then refuses every later write and flush, and the next tick throws
   * it before its decisions.
   */
  #commitSoon(): void {
    this.ctx.store.commitTick?.(this.ctx.clock.now(), { waitForEarlier: false }).catch(() => {});
  }

  /** Orders a tick waits for: exits, and entries unless they go on beside the rounds. */
  #sentByTicks(): number {
    return this.#exitsRecorded + (this.#entriesBeside ? 0 : this.#entriesRecorded);
  }

  /** Streaming, entries go on beside the rounds (EntryKeeper); polling, the tick waits for them. */
  get #entriesBeside(): boolean {
    return this.ctx.stream !== undefined;
  }

  /**
   * Whether a top may lead to an order now: entries may go out (trading on, the venue active), or a position is still
   * managed or on its way (an entry still going on beside the rounds; before the first tick: yes). Streaming, the
   * burst takes no round per top when none can: it prepares once per burst_tick_ms (the switch, the order updates)
   * and reads the latest tops then, so a stopped bot with nothing open does not pay for deciding every push.
   */
  get decidesOnTops(): boolean {
    if (this.ctx.settings.current.trading_enabled && this.#venueActive) return true;
    return this.#entries.inFlight > 0 || this.#settled === null ||
      this.#settled.some((current) => isActive(current.position));
  }

  /**
   * Something happened since the last preparation that the next tick must take in before deciding, or an update taken in
   * mid-tick left the rest of a preparation due.
   */
  get needsPreparation(): boolean {
    return this.#preparationDue || this.#restOfPreparationDue || this.#orderFeed.pending;
  }

  /**
   * After the last tick, while budget remains: refresh the working orders and move positions along once more, so the
   * tables end the burst as fresh as the venue (a tick refreshes before its quote, so fills after that would
   * otherwise wait for the next burst).
   */
  async finishTicks(): Promise<void> {
    await this.joinBeside();
    if (this.#budgetSpent()) return;
    await this.#orders.refreshWorking(this.ctx.venue, this.ctx.settings.current.mode);
    await this.#settleAndProtect(this.ctx.settings.current);
  }

  /**
   * Positions moved along their fills, then protected on the venue where they hold something. With no placement in
   * flight: the callers join first (reconcile runs before any).
   */
  async #settleAndProtect(settings: Settings): Promise<Settled[]> {
    return await this.#protection.ensureAll(await this.#positions.settle(settings), settings);
  }

  /**
   * A tick's preparation: the order updates taken in and the positions moved along their fills, then protection
   * placed where it is needed. Streaming, the placement starts beside the rounds (its record and the venue's answer
   * take a DB and a venue round trip, which a pushed top deciding another symbol must not wait for). Polling, the tick
   * places it before its quote request, as a round trip of its own, so the legs rest before the prices that tick reads
   * (what scripted paths in tests rely on). Protection still in flight is joined first: it moves the same orders and
   * positions.
   */
  async #takeInUpdates(settings: Settings): Promise<Settled[]> {
    await this.joinBeside();
    await this.#orderFeed.sync(settings.mode);
    if (!this.ctx.stream) return await this.#settleAndProtect(settings);
    const settled = await this.#positions.settle(settings);
    for (const current of settled) {
      if (this.#protection.needs(current, settings)) this.#protectBeside(current, settings);
    }
    return settled;
  }

  #protectBeside(current: Settled, settings: Settings): void {
    const placing = this.#protection.ensure(current, settings).then(
      () => {},
      (error: unknown) => {
        this.#protectionFailure ??= { error };
      },
    ).finally(() => {
      // The placement moved the position and its legs: the next tick takes that in before deciding on it.
      this.#preparationDue = true;
    });
    this.#protecting.set(current.position.id, placing);
  }

  /**
   * Waits for the entries and the protection that went on beside the rounds, then throws the first failure (the
   * entries', then the protection's). Every preparation calls it first, and the burst before it ends.
   */
  async joinBeside(): Promise<void> {
    let failure: { error: unknown } | null = null;
    try {
      await this.#entries.join();
    } catch (error) {
      failure = { error };
    }
    // An entry that filled at once placed its protection itself; a placement a preparation started is joined here.
    await this.#joinProtection().catch((error: unknown) => {
      failure ??= { error };
    });
    if (failure) throw failure.error;
  }

  /**
   * Waits for protection placed beside the rounds, then throws its first failure (through joinBeside: every
   * preparation first, and the burst before it ends, whatever way it stops): no placement outlives the lease.
   */
  async #joinProtection(): Promise<void> {
    // Placements start only in a preparation, after this join: none can begin while it waits.
    await Promise.all(this.#protecting.values());
    this.#protecting.clear();
    const failure = this.#protectionFailure;
    this.#protectionFailure = null;
    if (failure) throw failure.error;
  }

  /** A failed read leaves entries without a balance this tick (refused as balance_unavailable). */
  async #readFundsIfStale(): Promise<void> {
    try {
      await this.#funds.ensure();
    } catch (error) {
      if (!(error instanceof ExchangeLayerError) || error instanceof NeedsHumanError) throw error;
      note(this.ctx.summary, `tick: balance: ${describeError(error)}`);
    }
  }

  /** Sends the exits this tick's quotes call for, all positions at once. Returns the positions still active. */
  async #manageExits(settings: Settings, settled: readonly Settled[]): Promise<PositionRow[]> {
    const after = await settleEach(settled, (current) => this.#manageExit(settings, current));
    this.#stopIfNeedsHuman();
    return after.filter((p) => isActive(p));
  }

  /** One position's exit decision and exit; returns the position as it ends the tick. */
  async #manageExit(settings: Settings, current: Settled): Promise<PositionRow> {
    let { position, figures } = current;
    // Protection placed since the last preparation (maybe still in flight, maybe resting already): the figures here
    // predate the legs, so its exits wait for the next preparation.
    if (this.#protecting.has(position.id)) return position;
    const quote = this.ctx.quotes.get(position.symbol);
    if (position.status === "open") {
      const reason = quote ? burstExitReason({ position, figures }, quote, this.ctx.clock.now(), settings) : null;
      if (reason && quote) {
        ({ position, figures } = await this.#positions.exit(position, figures, reason, quote, settings.mode));
      }
    } else if (position.status === "closing" && !figures.liveExit) {
      // A previous exit ended with base still sellable (thin liquidity) or was refused: send another (refused
      // again and again: ExitRetry, with backoff and a flag for a person).
      const reason = position.exit_reason ?? "manual";
      if (figures.rejectedExits >= MAX_REJECTED_EXITS) {
        ({ position, figures } = await this.#retries.step(position, figures, quote, settings.mode));
      } else if (quote) {
        ({ position, figures } = await this.#positions.exit(position, figures, reason, quote, settings.mode));
      }
    }
    return position;
  }
}
