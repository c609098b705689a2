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
import { ReplacedSocket, type SocketSettings, socketSettings, type SocketStats } from "../replaced_socket.ts";
import { waitForAny, Wakeups } from "../wakeups.ts";

/** One update as the venue pushed it: an order's, or (OKX) a protection algo's. */
export type StreamUpdate = { kind: "order"; push: OrderPush } | { kind: "algo"; algo: ProtectionAlgo };

/** `stallMs` counts a probe's answer as heard. */
export interface OrderStreamOptions extends SocketSettings {
  protocol: OrderStreamProtocol;
  credentials: VenueCredentials;
  /** Wall clock for the signatures' timestamps. */
  wallNowMs?: () => number;
}

export interface OrderStreamStats extends SocketStats {
  /** order updates received (duplicates included) */
  order_events: number;
  /** subscriptions the venue confirmed (the first one and every one after a replacement) */
  subscriptions: number;
  garbage: number;
  /** login or subscription refused by the venue (not retried) */
  refused: number;
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
  readonly #socket: ReplacedSocket;
  #subscribed = false;
  #refused = false;
  #reconcileDue = false;
  #queue: StreamUpdate[] = [];
  /** Woken when an update arrives or a reconcile becomes due, and on close. */
  readonly eventArrivals = new Wakeups();

  constructor(private readonly options: OrderStreamOptions) {
    const wallNowMs = options.wallNowMs ?? (() => Date.now());
    this.#socket = new ReplacedSocket({
      ...socketSettings(options),
      stats: this.stats,
      probe: () => options.protocol.probe(),
      opening: () => options.protocol.open(options.credentials, wallNowMs()),
      message: (text, reply) => this.#onText(text, reply),
      lost: () => this.#subscribed = false,
      mayReplace: () => !this.#refused,
    });
  }

  /** Subscribed, and heard from within `stallMs`: updates arrive as they happen. */
  get up(): boolean {
    return this.#subscribed && this.#socket.live;
  }

  start(): void {
    this.#socket.start();
  }

  /** An update waits to be drained, or a reconcile is due. */
  hasEvent(): boolean {
    return this.#queue.length > 0 || this.#reconcileDue;
  }

  /** Resolves true when an update arrives (or a reconcile becomes due), false after `ms` or on close. */
  nextEvent(ms: number): Promise<boolean> {
    if (this.hasEvent()) return Promise.resolve(true);
    if (this.#socket.closed) return Promise.resolve(false);
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
    const closing = this.#socket.close();
    this.#subscribed = false;
    this.eventArrivals.wakeAll();
    return closing;
  }

  #onText(text: string, reply: (text: string) => void): void {
    const parsed = this.options.protocol.parse(text);
    switch (parsed.kind) {
      case "order":
      case "algo":
        this.stats.order_events += 1;
        this.#queue.push(parsed);
        this.eventArrivals.wakeAll();
        return;
      case "subscribed":
        this.#subscribed = true;
        this.stats.subscriptions += 1;
        this.#reconcileDue = true;
        this.eventArrivals.wakeAll();
        break;
      case "refused":
        this.stats.refused += 1;
        this.#refused = true;
        this.#socket.replace(`refused (${parsed.why})`);
        return;
      case "garbage":
        this.stats.garbage += 1;
        this.#socket.replace(`garbage (${parsed.why})`);
        return;
      case "ignore":
        break;
    }
    for (const m of parsed.send ?? []) reply(m);
  }
}
