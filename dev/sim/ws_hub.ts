// The simulator's WebSocket side: accepts upgrades on /<venue>/ws..., keeps each socket's subscriptions and pushes a
// book-top message when a subscribed symbol's quote changes (the engine's quote, read every `pollMs`, after the
// price steps the clock made due); a conflated channel at most once per its interval (OKX tickers, on a change) or once
// every interval whether it changed or not (Binance depth5@100ms). Venue protocols live in ws_binance.ts and
// ws_okx.ts, faults in ws_faults.ts.

import { PushLog, type SymbolPush } from "./push_log.ts";
import type { VenueEngine } from "./engine.ts";
import type { Quote, VenueId } from "./types.ts";
import { StreamFaults } from "./ws_faults.ts";
import { binanceStreams } from "./ws_binance.ts";
import { okxStreams } from "./ws_okx.ts";
import type { StreamProtocol } from "./ws_protocol.ts";

const PROTOCOLS: Record<VenueId, StreamProtocol> = { binance: binanceStreams, okx: okxStreams };

interface Connection {
  venue: VenueId;
  socket: WebSocket;
  path: string;
  protocol: StreamProtocol;
  keys: Set<string>;
}

/** Oldest pushes are dropped past this many, so a long-running simulator stays bounded. */
const MAX_PUSH_LOG = 50_000;

export class StreamHub {
  readonly faults: StreamFaults;
  readonly #connections = new Set<Connection>();
  readonly #last = new Map<string, string>();
  /** `venue|key` of a conflated channel → when its next push may go out (performance.now()). */
  readonly #dueAt = new Map<string, number>();
  #updateId = 1;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly stats = { opened: 0, pushes: 0, refused: 0 };
  /**
   * Book-top pushes as sent (first copy) that carried a changed top, newest last and bounded, for the bench's push →
   * order figure (an interval channel's repeat of an unchanged top is not what an order reacted to).
   */
  readonly #pushLog = new PushLog(MAX_PUSH_LOG);

  constructor(
    private readonly engines: Record<VenueId, VenueEngine>,
    private readonly options: { pollMs?: number } = {},
  ) {
    this.faults = new StreamFaults();
    this.faults.onDrop((venue) => {
      for (const c of [...this.#connections]) if (c.venue === venue) this.#close(c, 1006);
    });
  }

  /** The venue's socket path for this request, or undefined when it is not a stream path. */
  static matches(venue: VenueId, path: string): boolean {
    return PROTOCOLS[venue].matches(path);
  }

  get connections(): number {
    return this.#connections.size;
  }

  accept(req: Request, url: URL, venue: VenueId, path: string): Response {
    if (this.faults.refusing(venue)) {
      this.stats.refused += 1;
      return new Response("stream refused by the simulator", { status: 503 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    const protocol = PROTOCOLS[venue];
    const symbols = this.engines[venue].markets().map((m) => m.symbol);
    const conn: Connection = { venue, socket, path, protocol, keys: new Set(protocol.initial(path, url, symbols)) };
    socket.onopen = () => {
      this.#connections.add(conn);
      this.stats.opened += 1;
      this.#ensureTimer();
      // A new subscriber gets the current top at once, as the venues do.
      for (const key of conn.keys) this.#pushTo(conn, key);
    };
    socket.onmessage = (event) => {
      if (this.faults.stalled(venue) || typeof event.data !== "string") return;
      const change = protocol.onText(event.data, symbols);
      for (const reply of change.replies) this.#send(conn, reply);
      if (change.list !== undefined) this.#send(conn, protocol.listReply(change.list, [...conn.keys]));
      for (const key of change.unsubscribe ?? []) conn.keys.delete(key);
      for (const key of change.subscribe ?? []) {
        conn.keys.add(key);
        this.#pushTo(conn, key);
      }
    };
    socket.onclose = () => this.#forget(conn);
    socket.onerror = () => this.#forget(conn);
    return response;
  }

  /** The book-top pushes sent after `afterPerf` (performance.now() of this process), oldest first. */
  pushesSince(afterPerf: number): SymbolPush[] {
    return this.#pushLog.since(afterPerf);
  }

  /** Pushes every changed quote now (the timer calls it; tests may too). */
  pushChanged(): void {
    const byVenue = new Map<VenueId, Set<string>>();
    for (const c of this.#connections) {
      const keys = byVenue.get(c.venue) ?? new Set<string>();
      for (const k of c.keys) keys.add(k);
      byVenue.set(c.venue, keys);
    }
    const now = performance.now();
    for (const [venue, keys] of byVenue) {
      const engine = this.engines[venue];
      engine.sync();
      for (const key of keys) {
        const protocol = PROTOCOLS[venue];
        const symbol = protocol.symbolOfKey?.(key) ?? key;
        const q = engine.quote(symbol);
        const fingerprint = `${q.bid}|${q.ask}|${q.bidQty}|${q.askQty}`;
        const lastKey = `${venue}|${key}`;
        const changed = this.#last.get(lastKey) !== fingerprint;
        const pacing = protocol.pacingOfKey?.(key);
        if (!changed && !pacing?.repeat) continue;
        if (pacing) {
          const due = this.#dueAt.get(lastKey) ?? now;
          if (now < due) continue;
          // On the interval's grid, not drifting by the poll's lateness; a pause restarts the grid.
          this.#dueAt.set(lastKey, now - due > pacing.everyMs ? now + pacing.everyMs : due + pacing.everyMs);
        }
        this.#last.set(lastKey, fingerprint);
        const updateId = this.#updateId++;
        for (const c of this.#connections) {
          if (c.venue === venue && c.keys.has(key)) this.#sendQuote(c, key, q, updateId, changed);
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const closed = [...this.#connections].map((c) =>
      new Promise<void>((resolve) => {
        if (c.socket.readyState === WebSocket.CLOSED) return resolve();
        c.socket.addEventListener("close", () => resolve());
        this.#close(c, 1001);
      })
    );
    // Bounded: a peer that never answers the close does not hold the shutdown.
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 500))]);
    this.#connections.clear();
  }

  /** The current top to one socket (a new subscription), remembered so the timer does not send it again. */
  #pushTo(conn: Connection, key: string): void {
    const engine = this.engines[conn.venue];
    engine.sync();
    const symbol = conn.protocol.symbolOfKey?.(key) ?? key;
    const q = engine.quote(symbol);
    const lastKey = `${conn.venue}|${key}`;
    this.#last.set(lastKey, `${q.bid}|${q.ask}|${q.bidQty}|${q.askQty}`);
    const pacing = conn.protocol.pacingOfKey?.(key);
    if (pacing) this.#dueAt.set(lastKey, performance.now() + pacing.everyMs);
    this.#sendQuote(conn, key, q, this.#updateId++);
  }

  #sendQuote(conn: Connection, key: string, quote: Quote, updateId: number, changed = true): void {
    const plan = this.faults.plan(conn.venue);
    if (plan.skip) return;
    const text = plan.garbage
      ? "\u0000{not json"
      : conn.protocol.quoteMessage(key, quote, updateId, Date.now(), conn.path);
    const send = () => {
      for (let i = 0; i < plan.copies; i++) {
        this.stats.pushes += 1;
        this.#send(conn, text);
      }
      if (!changed) return;
      const symbol = conn.protocol.symbolOfKey?.(key) ?? key;
      this.#pushLog.add(conn.venue, symbol);
    };
    if (plan.delayMs > 0) setTimeout(send, plan.delayMs);
    else send();
  }

  #send(conn: Connection, text: string): void {
    if (this.faults.stalled(conn.venue)) return;
    if (conn.socket.readyState === WebSocket.OPEN) conn.socket.send(text);
  }

  #close(conn: Connection, code: number): void {
    this.#forget(conn);
    try {
      if (code === 1006) {
        // 1006 cannot be sent; an abrupt close is what a dropped stream looks like to the client.
        conn.socket.close(4000, "dropped by simulator");
      } else conn.socket.close(code);
    } catch {
      // already closing
    }
  }

  #forget(conn: Connection): void {
    this.#connections.delete(conn);
    if (this.#connections.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #ensureTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.pushChanged(), this.options.pollMs ?? 5);
  }
}
