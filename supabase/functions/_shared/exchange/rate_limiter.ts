/**
 * Our request limiter (ccxt's is off): one token bucket per venue limit, crediting idle time, with the venue's own
 * usage headers as a ceiling. Each limit is a count per window (Binance request weight per minute, order count per
 * 10 s, an OKX endpoint's requests per 2 s). A bucket holds at most `burstFraction` of the limit and refills the rest
 * evenly over the window, so no window of that length, sliding or fixed, ever sees more than the limit: a full
 * bucket (burst) plus one window of refill is exactly the limit × headroom.
 *
 * Orders and cancels (priority "order") are served before refreshes (priority "refresh"), and refreshes leave a
 * reserve in every bucket that orders may still spend.
 *
 * A request that could only go out after the caller's budget is refused instead (DeadlinePassedError: not sent).
 *
 * Pure apart from the injected clock and sleep.
 */
import { DeadlinePassedError } from "./errors.ts";

export interface RateLimitSpec {
  /** Bucket id, e.g. "weight", "orders", "market/tickers". */
  id: string;
  /** What the venue allows per window. */
  limit: number;
  windowMs: number;
  /** Response header with the venue's own count for this window (lower-case), when it sends one. */
  usedHeader?: string;
  /** Share of the limit that may go out at once after idle time; the rest refills over the window. Default 0.5. */
  burstFraction?: number;
}

/** What one request costs, by bucket id. */
export type RequestCost = Readonly<Record<string, number>>;

export type RequestPriority = "order" | "refresh";

export interface RateLimiterOptions {
  nowMs: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Share of each limit we allow ourselves (others may share the key or IP). Default 0.9. */
  headroom?: number;
  /** Share of each bucket's burst that refreshes leave for orders. Default 0.2. */
  orderReserve?: number;
}

interface Bucket {
  spec: RateLimitSpec;
  capacity: number;
  ratePerMs: number;
  reserve: number;
  tokens: number;
  updatedMs: number;
}

interface Waiter {
  cost: RequestCost;
  priority: RequestPriority;
  seq: number;
  /** Limiter-clock ms after which the request may not go out. */
  notAfterMs: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class RateLimitCostError extends RangeError {
  override name = "RateLimitCostError";
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #nowMs: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #queue: Waiter[] = [];
  #seq = 0;
  #pumping = false;
  /** Ends the pump's current wait early (a request that may go sooner was queued). */
  #wake: (() => void) | null = null;
  /** No request before this (limiter-clock ms): the venue's Retry-After. */
  #pausedUntilMs = Number.NEGATIVE_INFINITY;
  /** Requests served, by bucket: what we spent (tests and the summary read it). */
  readonly spent: Record<string, number> = {};

  constructor(specs: readonly RateLimitSpec[], options: RateLimiterOptions) {
    this.#nowMs = options.nowMs;
    this.#sleep = options.sleep ?? realSleep;
    const headroom = options.headroom ?? 0.9;
    const orderReserve = options.orderReserve ?? 0.2;
    if (!(headroom > 0 && headroom <= 1)) throw new RangeError(`headroom must be in (0, 1], got ${headroom}`);
    if (!(orderReserve >= 0 && orderReserve < 1)) {
      throw new RangeError(`orderReserve must be in [0, 1), got ${orderReserve}`);
    }
    const now = this.#nowMs();
    for (const spec of specs) {
      const burstFraction = spec.burstFraction ?? 0.5;
      if (!(spec.limit > 0) || !(spec.windowMs > 0) || !(burstFraction > 0 && burstFraction < 1)) {
        throw new RangeError(`rate limit ${spec.id}: limit, windowMs > 0 and burstFraction in (0, 1) required`);
      }
      const allowed = spec.limit * headroom;
      const capacity = allowed * burstFraction;
      this.#buckets.set(spec.id, {
        spec,
        capacity,
        ratePerMs: (allowed - capacity) / spec.windowMs,
        reserve: capacity * orderReserve,
        tokens: capacity,
        updatedMs: now,
      });
    }
  }

  /** Tokens left in a bucket now (after crediting idle time). */
  available(id: string): number {
    const bucket = this.#buckets.get(id);
    if (!bucket) throw new RateLimitCostError(`no rate limit named ${id}`);
    this.#credit(bucket, this.#nowMs());
    return bucket.tokens;
  }

  /**
   * How many requests of `cost` could go out now, one after another, without waiting (nothing spent): 0 while
   * requests that go first queue (the same or a higher priority) or the venue's pause lasts. For work that may wait
   * for a later tick instead. `leaveReserve` (a refresh's default) counts only what lies above the order reserve: an
   * order that may be dropped (an entry) leaves that share to the orders that may not.
   */
  affordableNow(
    cost: RequestCost,
    priority: RequestPriority,
    { leaveReserve = priority === "refresh" }: { leaveReserve?: boolean } = {},
  ): number {
    const now = this.#nowMs();
    const queuedAhead = priority === "order" ? this.#queue[0]?.priority === "order" : this.#queue.length > 0;
    if (queuedAhead || this.#pausedUntilMs > now) return 0;
    let count = Number.POSITIVE_INFINITY;
    for (const [id, amount] of Object.entries(cost)) {
      const bucket = this.#buckets.get(id);
      if (!bucket) throw new RateLimitCostError(`no rate limit named ${id}`);
      if (!(amount > 0)) continue;
      const spendable = this.#spendable(bucket, leaveReserve ? "refresh" : "order", now);
      count = Math.min(count, Math.max(0, Math.floor(spendable / amount)));
    }
    return count;
  }

  /**
   * Waits until `cost` may be spent, then spends it. Orders go before refreshes; FIFO within a priority. With
   * `maxWaitMs`, a request that could not go out within it is refused with DeadlinePassedError (nothing spent).
   */
  acquire(cost: RequestCost, priority: RequestPriority, maxWaitMs = Number.POSITIVE_INFINITY): Promise<void> {
    for (const [id, amount] of Object.entries(cost)) {
      const bucket = this.#buckets.get(id);
      if (!bucket) throw new RateLimitCostError(`no rate limit named ${id}`);
      if (!(amount >= 0) || amount > bucket.capacity) {
        throw new RateLimitCostError(`cost ${amount} on ${id} can never fit its bucket of ${bucket.capacity}`);
      }
    }
    const notAfterMs = this.#nowMs() + Math.max(0, maxWaitMs);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ cost, priority, seq: this.#seq++, notAfterMs, resolve, reject });
      this.#queue.sort((a, b) => (a.priority === b.priority ? a.seq - b.seq : a.priority === "order" ? -1 : 1));
      // An order queued behind a waiting refresh is now first: look again instead of finishing the refresh's wait.
      this.#wake?.();
      void this.#pump();
    });
  }

  /**
   * The venue's own count for the current window (from its usage headers, which also count other clients of the
   * key or IP): our bucket never holds more than that count leaves of the allowed share in the venue's window. Header names are matched case-insensitively.
   */
  observeHeaders(headers: Record<string, unknown> | undefined | null): void {
    if (!headers) return;
    const lower = new Map<string, unknown>();
    for (const [key, value] of Object.entries(headers)) lower.set(key.toLowerCase(), value);
    const now = this.#nowMs();
    for (const bucket of this.#buckets.values()) {
      if (!bucket.spec.usedHeader) continue;
      const used = Number(lower.get(bucket.spec.usedHeader));
      if (!Number.isFinite(used) || used < 0) continue;
      this.#credit(bucket, now);
      // The venue's windows are fixed (its count starts over at each window): what is left of the allowed share in
      // this window is all that may go out before it ends. Our bucket keeps the sliding bound on top.
      const allowed = bucket.capacity + bucket.ratePerMs * bucket.spec.windowMs;
      const left = allowed - used;
      bucket.tokens = Math.min(bucket.tokens, Math.max(0, left));
    }
  }

  /** The venue said "not before T" (429/418 Retry-After): nothing goes out until then. */
  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    this.#pausedUntilMs = Math.max(this.#pausedUntilMs, this.#nowMs() + ms);
  }

  #credit(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.updatedMs);
    bucket.tokens = Math.min(bucket.capacity, bucket.tokens + elapsed * bucket.ratePerMs);
    bucket.updatedMs = Math.max(bucket.updatedMs, now);
  }

  /** Tokens a request of `priority` may spend now (after crediting idle time): refreshes leave the order reserve. */
  #spendable(bucket: Bucket, priority: RequestPriority, now: number): number {
    this.#credit(bucket, now);
    return bucket.tokens - (priority === "refresh" ? bucket.reserve : 0);
  }

  /** Milliseconds until `waiter` fits (0: now). */
  #waitMs(waiter: Waiter, now: number): number {
    let wait = Math.max(0, Math.ceil(this.#pausedUntilMs - now));
    for (const [id, amount] of Object.entries(waiter.cost)) {
      const bucket = this.#buckets.get(id) as Bucket;
      const missing = amount - this.#spendable(bucket, waiter.priority, now);
      if (missing > 0) wait = Math.max(wait, Math.ceil(missing / bucket.ratePerMs));
    }
    return wait;
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
        const now = this.#nowMs();
        const wait = this.#waitMs(head, now);
        if (now + wait > head.notAfterMs) {
          this.#queue.shift();
          head.reject(
            new DeadlinePassedError("the venue's rate limit would hold this request past the time budget; not sent"),
          );
          continue;
        }
        if (wait > 0) {
          await Promise.race([this.#sleep(wait), new Promise<void>((r) => this.#wake = r)]);
          this.#wake = null;
          continue;
        }
        this.#queue.shift();
        for (const [id, amount] of Object.entries(head.cost)) {
          (this.#buckets.get(id) as Bucket).tokens -= amount;
          this.spent[id] = (this.spent[id] ?? 0) + amount;
        }
        head.resolve();
      }
    } finally {
      this.#pumping = false;
    }
  }
}
