// The simulator's private order streams: accepts upgrades on /binance/ws-api/v3 and /okx/ws/v5/private, keeps each
// socket's session (login, subscriptions) and pushes every order event of the matching engine (accepted, each fill,
// cancelled, expired), and on OKX every algo placed or changed, to the sockets subscribed for that account, as it
// happens. Venue protocols live in
// ws_user_binance.ts and ws_user_okx.ts; faults are ws_faults.ts's, with their own state (`faults`), so the order
// stream can fail while the book-top stream stays up: drop, stall, refuse, garbage, duplicate, delay.

import type { VenueEngine } from "./engine.ts";
import type { OrderEvent } from "./orders.ts";
import type { SimAlgo } from "./algo_orders.ts";
import type { VenueId } from "./types.ts";
import { StreamFaults } from "./ws_faults.ts";
import { PushLog, type SymbolPush } from "./push_log.ts";
import { binanceUserStream } from "./ws_user_binance.ts";
import { okxUserStream } from "./ws_user_okx.ts";
import type { UserSession, UserStreamProtocol } from "./ws_user_protocol.ts";

const PROTOCOLS: Record<VenueId, UserStreamProtocol> = { binance: binanceUserStream, okx: okxUserStream };

interface Connection {
  venue: VenueId;
  socket: WebSocket;
  session: UserSession;
}

let connIds = 0;

/** Oldest pushes are dropped past this many, so a long-running simulator stays bounded. */
const MAX_PUSH_LOG = 20_000;

export class UserStreamHub {
  readonly faults = new StreamFaults();
  /** opened sockets, order pushes sent (copies included), upgrades refused by the `refuse` fault */
  readonly stats = { opened: 0, pushes: 0, refused: 0 };
  readonly #connections = new Set<Connection>();
  readonly #unsubscribe: (() => void)[] = [];
  /** Order updates (and algo changes) as sent (first copy), for the bench's push → order attribution. */
  readonly #pushLog = new PushLog(MAX_PUSH_LOG);

  constructor(private readonly engines: Record<VenueId, VenueEngine>) {
    for (const venue of ["binance", "okx"] as const) {
      this.#unsubscribe.push(engines[venue].onOrderEvent((event) => this.#onEvent(venue, event)));
      this.#unsubscribe.push(engines[venue].onAlgoEvent((algo) => this.#onAlgo(venue, algo)));
    }
    this.faults.onDrop((venue) => {
      for (const c of [...this.#connections]) if (c.venue === venue) this.#drop(c);
    });
  }

  static matches(venue: VenueId, path: string): boolean {
    return PROTOCOLS[venue].matches(path);
  }

  /** Open private sockets. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Sockets of the venue that are subscribed to an account's orders. */
  subscribed(venue: VenueId): number {
    return [...this.#connections].filter((c) => c.venue === venue && c.session.subscriptions.length > 0).length;
  }

  accept(req: Request, venue: VenueId): Response {
    if (this.faults.refusing(venue)) {
      this.stats.refused += 1;
      return new Response("stream refused by the simulator", { status: 503 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    const conn: Connection = { venue, socket, session: { connId: `u${++connIds}`, subscriptions: [] } };
    socket.onopen = () => {
      this.#connections.add(conn);
      this.stats.opened += 1;
    };
    socket.onmessage = async (event) => {
      if (this.faults.stalled(venue) || typeof event.data !== "string") return;
      const replies = await PROTOCOLS[venue].onText(event.data, conn.session, this.engines[venue]);
      for (const reply of replies) this.#send(conn, reply);
    };
    socket.onclose = () => this.#connections.delete(conn);
    socket.onerror = () => this.#connections.delete(conn);
    return response;
  }

  async close(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    const closed = [...this.#connections].map((c) =>
      new Promise<void>((resolve) => {
        if (c.socket.readyState === WebSocket.CLOSED) return resolve();
        c.socket.addEventListener("close", () => resolve());
        try {
          c.socket.close(1001);
        } catch {
          resolve();
        }
      })
    );
    // Bounded: a peer that never answers the close does not hold the shutdown.
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 500))]);
    this.#connections.clear();
  }

  /** The order pushes sent after `afterPerf` (performance.now() of this process), oldest first. */
  pushesSince(afterPerf: number): SymbolPush[] {
    return this.#pushLog.since(afterPerf);
  }

  /** Called synchronously inside the engine's order operations: only formats and sends. */
  #onEvent(venue: VenueId, event: OrderEvent): void {
    for (const conn of this.#connections) {
      if (conn.venue !== venue) continue;
      for (const text of PROTOCOLS[venue].eventMessages(event, conn.session, this.engines[venue])) {
        this.#push(conn, text, event.order.symbol);
      }
    }
  }

  /** As #onEvent, for an algo placed or changed. */
  #onAlgo(venue: VenueId, algo: SimAlgo): void {
    const messages = PROTOCOLS[venue].algoMessages;
    if (!messages) return;
    for (const conn of this.#connections) {
      if (conn.venue !== venue) continue;
      for (const text of messages(algo, conn.session, this.engines[venue])) this.#push(conn, text, algo.symbol);
    }
  }

  #push(conn: Connection, text: string, symbol: string): void {
    const plan = this.faults.plan(conn.venue);
    if (plan.skip) return;
    const body = plan.garbage ? "\u0000{not json" : text;
    const send = () => {
      for (let i = 0; i < plan.copies; i++) {
        this.stats.pushes += 1;
        if (this.#send(conn, body) && i === 0) this.#pushLog.add(conn.venue, symbol);
      }
    };
    if (plan.delayMs > 0) setTimeout(send, plan.delayMs);
    else send();
  }

  /** Sends `text` unless the stream is stalled or the socket closed; true when it went out. */
  #send(conn: Connection, text: string): boolean {
    if (this.faults.stalled(conn.venue) || conn.socket.readyState !== WebSocket.OPEN) return false;
    conn.socket.send(text);
    return true;
  }

  #drop(conn: Connection): void {
    this.#connections.delete(conn);
    try {
      // 1006 cannot be sent; an abrupt close is what a dropped stream looks like to the client.
      conn.socket.close(4000, "dropped by simulator");
    } catch {
      // already closing
    }
  }
}
