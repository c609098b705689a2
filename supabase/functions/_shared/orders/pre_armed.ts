/**
 * Pre-armed order records (track-before-send, made before the quote). A burst arms, off the hot path and in one
 * write, reserved client order ids for the orders its ticks might send (per symbol, side and purpose); when the
 * quote calls for an order it takes one from memory and sends at once, so no DB round trip sits between quote and
 * order. The order's own rows are written after the send, in one write that also marks the armed id fired
 * (`record_armed_entry`, TradeStore.recordArmedEntry; the leased store queues it for the tick's commit).
 *
 * The armed row is the durable record: a crash after a send but before the order's own row was written leaves an
 * armed row whose id the venue knows. `settleArmed` (run by reconciliation, under the venue's lease) looks every
 * armed row up by client order id: the ones the venue knows are handed back for adoption, the ones it does not know
 * past the grace period were never sent and are retired, so their ids are never used again.
 *
 * The store is an interface (supabase_armed_store.ts over the table, a memory one in tests); clock and lookups are
 * passed in.
 */
import type { Clock } from "../clock.ts";
import { describeError } from "../describe_error.ts";
import type { Venue } from "../exchange/venues.ts";
import type { TradingMode } from "../settings.ts";
import { newClientOrderId } from "./client_order_id.ts";
import type { ExchangeOrderView, OrderPurpose, OrderSide } from "./types.ts";

export type ArmedStatus = "armed" | "fired" | "retired";

export interface ArmedSlot {
  symbol: string;
  side: OrderSide;
  purpose: OrderPurpose;
}

export interface NewArmedOrder extends ArmedSlot {
  client_order_id: string;
  venue: Venue;
  mode: TradingMode;
  armed_at: string;
}

export interface ArmedOrderRow extends NewArmedOrder {
  id: string;
  status: ArmedStatus;
  retire_reason: string | null;
  fired_at: string | null;
  retired_at: string | null;
}

export interface ArmedOrderStore {
  /** Inserts every row in one write (armed) and returns them as stored. */
  armOrders(rows: readonly NewArmedOrder[]): Promise<ArmedOrderRow[]>;
  /** armed → retired, with the reason, in one write. */
  retireArmed(ids: readonly string[], reason: string, now: Date): Promise<void>;
  /** Rows still armed for the venue and mode. */
  listArmed(venue: Venue, mode: TradingMode): Promise<ArmedOrderRow[]>;
}

function slotKey(slot: ArmedSlot): string {
  return `${slot.symbol}|${slot.side}|${slot.purpose}`;
}

export interface PreArmedOrdersOptions {
  store: ArmedOrderStore;
  clock: Clock;
  venue: Venue;
  mode: TradingMode;
  /**
   * Ids armed per slot (default 1). Deeper, a write arms the slots for several orders each, so it comes once every
   * few orders rather than after every one; the ids a burst does not use are retired together at its end.
   */
  perSlot?: number;
  /** Client order ids; default newClientOrderId. */
  newId?: (nowMs: number) => string;
}

/** One burst's armed ids for one venue and mode. Only the lease holder uses it, so memory is the truth in between. */
export class PreArmedOrders {
  /** Per slot, the ready ids, oldest first. */
  readonly #ready = new Map<string, ArmedOrderRow[]>();

  constructor(private readonly options: PreArmedOrdersOptions) {}

  /** Ids ready to send, over all slots. */
  get ready(): number {
    let count = 0;
    for (const rows of this.#ready.values()) count += rows.length;
    return count;
  }

  /**
   * When a slot has no ready id, tops every slot up to `perSlot` ids in one write; no write while every slot has one.
   * Call before the quote.
   */
  async ensure(slots: readonly ArmedSlot[]): Promise<void> {
    const { store, clock, venue, mode } = this.options;
    const keys = new Map(slots.map((slot) => [slotKey(slot), slot]));
    if ([...keys.keys()].every((key) => (this.#ready.get(key)?.length ?? 0) > 0)) return;
    const now = clock.now();
    const newId = this.options.newId ?? newClientOrderId;
    const perSlot = Math.max(1, this.options.perSlot ?? 1);
    const missing: NewArmedOrder[] = [];
    for (const [key, slot] of keys) {
      for (let have = this.#ready.get(key)?.length ?? 0; have < perSlot; have++) {
        missing.push({
          client_order_id: newId(now.getTime()),
          venue,
          mode,
          symbol: slot.symbol,
          side: slot.side,
          purpose: slot.purpose,
          armed_at: now.toISOString(),
        });
      }
    }
    for (const row of await store.armOrders(missing)) {
      const key = slotKey(row);
      this.#ready.set(key, [...(this.#ready.get(key) ?? []), row]);
    }
  }

  /**
   * The oldest armed record for `slot`, taken from memory (no DB call): the caller sends an order with its client
   * order id. null when the slot has none ready (the caller records the order the slow way or skips it).
   */
  take(slot: ArmedSlot): ArmedOrderRow | null {
    return this.#ready.get(slotKey(slot))?.shift() ?? null;
  }

  /** Retires the ids armed but never taken (end of burst), in one write. */
  async retireUnused(reason = "burst ended before it was needed"): Promise<number> {
    const unused = [...this.#ready.values()].flat();
    if (unused.length === 0) return 0;
    await this.options.store.retireArmed(unused.map((r) => r.id), reason, this.options.clock.now());
    this.#ready.clear();
    return unused.length;
  }
}

export interface SettleArmedReport {
  checked: number;
  /** Armed rows the venue knows: sent before a crash; the caller adopts the order from the venue's view. */
  sent: Array<{ armed: ArmedOrderRow; view: ExchangeOrderView }>;
  retired: number;
  /** Too young to conclude, or the lookup failed: left armed for the next reconciliation. */
  leftArmed: number;
  details: string[];
}

export interface SettleArmedOptions {
  venue: Venue;
  mode: TradingMode;
  now: Date;
  /** How long the venue may not know a sent id before we conclude it was never sent (reconcile.ts's grace). */
  graceMs: number;
  /** The venue's view of an order by client order id; null when it does not know it. Throws on a failed lookup. */
  lookupByClientId(armed: ArmedOrderRow): Promise<ExchangeOrderView | null>;
}

/**
 * Reconciliation's part for armed rows (run at the start of a burst, under the lease, so no other burst is using
 * them): the ones the venue knows are returned in `sent`, the ones it does not know past the grace are retired in one
 * write; a failed lookup leaves the row armed. Marks nothing fired: the caller does that once it has adopted.
 */
export async function settleArmed(store: ArmedOrderStore, options: SettleArmedOptions): Promise<SettleArmedReport> {
  const report: SettleArmedReport = { checked: 0, sent: [], retired: 0, leftArmed: 0, details: [] };
  const retire: string[] = [];
  for (const armed of await store.listArmed(options.venue, options.mode)) {
    report.checked += 1;
    let view: ExchangeOrderView | null;
    try {
      view = await options.lookupByClientId(armed);
    } catch (error) {
      report.leftArmed += 1;
      report.details.push(`${armed.client_order_id}: lookup failed: ${describeError(error)}`);
      continue;
    }
    if (view !== null) {
      report.sent.push({ armed, view });
      continue;
    }
    const ageMs = options.now.getTime() - Date.parse(armed.armed_at);
    if (ageMs < options.graceMs) {
      report.leftArmed += 1;
      continue;
    }
    retire.push(armed.id);
  }
  if (retire.length > 0) {
    await store.retireArmed(retire, "never sent: the venue does not know this client order id", options.now);
    report.retired = retire.length;
  }
  return report;
}
