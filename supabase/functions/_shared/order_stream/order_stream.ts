/**
 * One venue's private stream of our order updates for a burst, over a plain WebSocket: authenticates with the venue
 * keys, subscribes, and queues every order update for the burst to apply (drain) at its next tick, waking whoever
 * waits for one. The socket is replaced when it drops, stalls (nothing for `stallMs`; a probe is sent at half, so a
 * quiet but live socket answers) or sends garbage; replacements are bounded (`maxReconnects`). A refused login or
 * subscription (keys, signature, clock) is not retried: the stream stays down and the burst polls over REST.
 *
 * Updates sent while no subscription was live are lost by design of the venues (nothing is replayed), so every
 * subscription that becomes live, the first one included, raises `reconcileDue`: the burst then brings its working
 * orders up to date over REST once.
 */
import type { VenueCredentials } from "../env.ts";
import type { OrderPush } from "../orders/order_push.ts";
import type { ProtectionAlgo } from "../exchange/protection_orders.ts";
import type { OrderStreamProtocol } from "./protocols.ts";
import { QuietWatch } from "../quiet_watch.ts";
import { waitForAny, Wakeups } from "../wakeups.ts";

/** One update as the venue pushed it: an order's, or (OKX) a protection algo's. */
export type StreamUpdate = { kind: "order"; push: OrderPush } | { kind: "algo"; algo: ProtectionAlgo };

export interface OrderStreamOptions {
  url: string;
  protocol: OrderStreamProtocol;
  credentials: VenueCredentials;
  /** Nothing heard for this long (a probe's answer included): the socket is replaced. */
  stallMs?: number;
  maxReconnects?: number;
  /** Monotonic clock for quiet periods. */
  nowMs?: () => number;
  /** Wall clock for the signatures' timestamps. */
  wallNowMs?: () => number;
  /** Opens a socket (tests may wrap it); the global WebSocket by default. */
  connect?: (url: string) => WebSocket;
}

export interface OrderStreamStats {
  messages: number;
  /** order updates received (duplicates included) */
  order_events: number;
  /** subscriptions the venue confirmed (the first one and every one after a replacement) */
  subscriptions: number;
  garbage: number;
  drops: number;
  stalls: number;
  reconnects: number;
  /** login or subscription refused by the venue (not retried) */
  refused: number;
  last_fault: string | null;
}

export class OrderStream {
  readonly stats: OrderStreamStats = {
    messages: 0,
    order_events: 0,
    subscriptions: 0,
    garbage: 0,
    drops: 0,
    stalls: 0,
    reconnects: 0,
    refused: 0,
    last_fault: null,
  };
  readonly #stallMs: number;
  readonly #maxReconnects: number;
  readonly #nowMs: () => number;
  readonly #wallNowMs: () => number;
  #socket: WebSocket | undefined;
  #open = false;
  #subscribed = false;
  #closed = false;
  #refused = false;
  #reconcileDue = false;
  #queue: StreamUpdate[] = [];
  /** Woken when an update arrives or a reconcile becomes due, and on close. */
  readonly eventArrivals = new Wakeups();
  readonly #quiet: QuietWatch;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: OrderStreamOptions) {
    this.#stallMs = options.stallMs ?? 5_000;
    this.#maxReconnects = options.maxReconnects ?? 5;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#quiet = new QuietWatch({
      stallMs: this.#stallMs,
      nowMs: this.#nowMs,
      listening: () => this.#open && this.#socket !== undefined,
      probe: () => this.#socket?.send(this.options.protocol.probe()),
      stalled: (quietMs) => {
        this.stats.stalls += 1;
        this.#replace(`stalled (${Math.round(quietMs)} ms without a message)`);
      },
    });
    this.#wallNowMs = options.wallNowMs ?? (() => Date.now());
  }

  /** Subscribed, and heard from within `stallMs`: updates arrive as they happen. */
  get up(): boolean {
    return this.#open && this.#subscribed && !this.#quiet.stale;
  }

  start(): void {
    if (this.#socket || this.#closed) return;
    this.#connect();
    this.#quiet.start();
  }

  /** An update waits to be drained, or a reconcile is due. */
  hasEvent(): boolean {
    return this.#queue.length > 0 || this.#reconcileDue;
  }

  /** Resolves true when an update arrives (or a reconcile becomes due), false after `ms` or on close. */
  nextEvent(ms: number): Promise<boolean> {
    if (this.hasEvent()) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return waitForAny([this.eventArrivals], ms);
  }

  /** Whether protection algos are reported (see OrderStreamProtocol.reportsAlgos). */
  get reportsAlgos(): boolean {
    return this.options.protocol.reportsAlgos;
  }

  /** The updates received since the last drain, oldest first. */
  drain(): StreamUpdate[] {
    return this.#queue.splice(0);
  }

  /** True once after each subscription went live (the caller reconciles over REST). */
  takeReconcile(): boolean {
    const due = this.#reconcileDue;
    this.#reconcileDue = false;
    return due;
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#quiet.stop();
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#wake();
    const socket = this.#socket;
    this.#socket = undefined;
    this.#open = false;
    this.#subscribed = false;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      // Bounded: a peer that never answers the close does not hold the burst.
      const timer = setTimeout(done, 500);
      socket.addEventListener("close", done);
      socket.close();
    });
  }

  #connect(): void {
    const socket = (this.options.connect ?? ((url) => new WebSocket(url)))(this.options.url);
    this.#socket = socket;
    this.#subscribed = false;
    socket.onopen = async () => {
      if (socket !== this.#socket) return;
      this.#open = true;
      this.#quiet.heard();
      const first = await this.options.protocol.open(this.options.credentials, this.#wallNowMs());
      if (socket !== this.#socket || socket.readyState !== WebSocket.OPEN) return;
      for (const m of first) socket.send(m);
    };
    socket.onmessage = (event) => {
      if (socket !== this.#socket) return;
      this.#onText(socket, typeof event.data === "string" ? event.data : "");
    };
    socket.onclose = () => {
      if (socket !== this.#socket || this.#closed) return;
      this.stats.drops += 1;
      this.#replace("dropped");
    };
    // An error is followed by close; the close replaces the socket.
    socket.onerror = () => {};
  }

  #onText(socket: WebSocket, text: string): void {
    this.stats.messages += 1;
    this.#quiet.heard();
    const parsed = this.options.protocol.parse(text);
    switch (parsed.kind) {
      case "order":
      case "algo":
        this.stats.order_events += 1;
        this.#queue.push(parsed);
        this.#wake();
        return;
      case "subscribed":
        this.#subscribed = true;
        this.stats.subscriptions += 1;
        this.#reconcileDue = true;
        this.#wake();
        break;
      case "refused":
        this.stats.refused += 1;
        this.#refused = true;
        this.#replace(`refused (${parsed.why})`);
        return;
      case "garbage":
        this.stats.garbage += 1;
        this.#replace(`garbage (${parsed.why})`);
        return;
      case "ignore":
        break;
    }
    for (const m of parsed.send ?? []) socket.send(m);
  }

  #wake(): void {
    this.eventArrivals.wakeAll();
  }

  /** Drops the current socket and opens another, unless refused or the budget of replacements is spent. */
  #replace(reason: string): void {
    this.stats.last_fault = reason;
    const old = this.#socket;
    this.#socket = undefined;
    this.#open = false;
    this.#subscribed = false;
    if (old && old.readyState !== WebSocket.CLOSED) {
      try {
        old.close();
      } catch {
        // already closing
      }
    }
    if (this.#closed || this.#refused || this.stats.reconnects >= this.#maxReconnects) return;
    // 0.25, 0.5, 1, 2, 2 s: five replacements span a few seconds of a venue's outage, then the burst polls.
    const backoffMs = Math.min(2_000, 250 * 2 ** this.stats.reconnects);
    this.stats.reconnects += 1;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (!this.#closed) this.#connect();
    }, backoffMs);
  }
}
